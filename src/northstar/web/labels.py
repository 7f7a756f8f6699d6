"""Words that reach the pages as data (role names, department kinds, audit entities and fields),
marked here so that the catalogue extractor finds them."""

from northstar.errors import N_

ROLES = [N_("admin"), N_("hr"), N_("executive"), N_("manager"), N_("employee"), N_("auditor")]
KINDS = [
    N_("frontline"),
    N_("customer_service"),
    N_("rnd"),
    N_("production"),
    N_("supply_chain"),
    N_("support"),
    N_("sales_marketing"),
]
ENTITIES = [
    N_("department"),
    N_("position"),
    N_("user"),
    N_("api_token"),
    N_("demo"),
    N_("departments"),
    N_("positions"),
    N_("employees"),
]
ACTIONS = [N_("create"), N_("update"), N_("revoke"), N_("load"), N_("delete")]
FIELDS = [
    N_("code"),
    N_("name"),
    N_("name_en"),
    N_("kind"),
    N_("parent"),
    N_("parent_code"),
    N_("head"),
    N_("head_number"),
    N_("number"),
    N_("email"),
    N_("department"),
    N_("department_code"),
    N_("position"),
    N_("position_code"),
    N_("manager"),
    N_("manager_number"),
    N_("start_date"),
    N_("end_date"),
    N_("username"),
    N_("role"),
    N_("is_active"),
    N_("password"),
    N_("locale"),
    N_("account"),
    N_("revoked_at"),
    N_("company"),
]
