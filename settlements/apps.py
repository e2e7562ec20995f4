from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SettlementsConfig(AppConfig):
    name = "settlements"
    verbose_name = _("Settlements")

    def ready(self):
        from warranty.navigation import register
        from warranty.roles import Role

        register(
            _("Commissioned repairs"),
            "settlements:repair_list",
            [Role.CUSTOMER_SERVICE, Role.CONTRACTOR, Role.DIRECTOR, Role.PROJECT_DEPT],
            order=60,
        )
        register(_("Ledger reconciliations"), "settlements:reconciliation_list", [Role.CUSTOMER_SERVICE], order=61)
