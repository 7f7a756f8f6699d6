"""App factory, layout, static assets, i18n."""
