from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SettlementsConfig(AppConfig):
    name = "settlements"
    verbose_name = _("Settlements")

    def ready(self):
        from warranty.navigation import register
        from warranty.roles import Role

        # The roles whose permissions open the pages (settlements migration 0002's grants).
        register(
            _("Commissioned repairs"),
            "settlements:repair_list",
            [Role.CUSTOMER_SERVICE, Role.CONTRACTOR, Role.DIRECTOR, Role.STEWARD, Role.PROJECT_DEPT, Role.FINANCE],
            order=60,
        )
        register(
            _("Ledger reconciliations"),
            "settlements:reconciliation_list",
            [Role.CUSTOMER_SERVICE, Role.PROJECT_DEPT, Role.FINANCE],
            order=61,
        )
