"""Dashboards (issue 7): the enterprise, department and personal dashboards, the journey ×
department heatmap and indicator slices, all read from the computed actuals within the viewer's
scope, every number linked to its lineage, every table exportable to xlsx."""
