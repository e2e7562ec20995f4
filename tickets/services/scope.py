"""Object scope for writes: staff act only on their projects' tickets, contractors only on their jobs."""

from warranty.scoping import can_see_project, is_contractor

from .errors import OutOfScope


def ensure_can_act(user, ticket) -> None:
    if not user.is_authenticated or not user.is_active:
        raise OutOfScope()
    if user.is_superuser:
        return
    if is_contractor(user):
        if not user.contractor_id or ticket.repairing_contractor_id != user.contractor_id:
            raise OutOfScope()
        return
    if not can_see_project(user, ticket.project_id):
        raise OutOfScope()
