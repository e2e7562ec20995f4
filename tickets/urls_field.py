"""Field work: the steward's tablet workspace and the contractor's view."""

from django.urls import path

from .views import contractor, field

urlpatterns: list = [
    # steward, director, engineer (and CS / GM for the joint sign-off and approval)
    path("field/", field.my_day, name="field_my_day"),
    path("field/tickets/", field.my_tickets, name="field_my_tickets"),
    path("field/approvals/", field.approvals, name="field_approvals"),
    path("field/signoffs/", field.signoff_queue, name="field_signoff_queue"),
    path("field/plans/<int:pk>/approve/", field.plan_approve, name="field_plan_approve"),
    path("field/t/<str:number>/", field.workspace, name="field_workspace"),
    path("field/t/<str:number>/triage/", field.triage, name="field_triage"),
    path("field/t/<str:number>/survey/", field.survey, name="field_survey"),
    path("field/t/<str:number>/plan/", field.plan, name="field_plan"),
    path("field/t/<str:number>/dispatch/", field.dispatch, name="field_dispatch"),
    path("field/t/<str:number>/appointments/<int:pk>/check-in/", field.check_in, name="field_check_in"),
    path("field/t/<str:number>/appointments/<int:pk>/owner-absent/", field.owner_absent, name="field_owner_absent"),
    path("field/t/<str:number>/log/", field.worklog, name="field_worklog"),
    path("field/t/<str:number>/consent/", field.consent, name="field_consent"),
    path("field/t/<str:number>/signoff/", field.signoff, name="field_signoff"),
    path("field/t/<str:number>/signoff/reinspect/", field.reinspect, name="field_reinspect"),
    path("field/t/<str:number>/signoff/owner/", field.owner_signoff, name="field_owner_signoff"),
    path("field/t/<str:number>/signoff/joint/", field.joint_signoff, name="field_joint_signoff"),
    path("field/t/<str:number>/signoff/gm/", field.gm_approval, name="field_gm_approval"),
    path("field/t/<str:number>/do/<slug:name>/", field.transition, name="field_transition"),
    path("field/notices/<str:number>/f02.pdf", field.notice_pdf, name="field_notice_pdf"),
    path("field/files/<int:pk>/", field.attachment, name="field_attachment"),
    path("field/files/<int:pk>/thumb/", field.attachment, {"thumb": True}, name="field_attachment_thumb"),
    # contractor
    path("contractor/", contractor.notices, name="contractor_notices"),
    path("contractor/notices/<str:number>/", contractor.notice, name="contractor_notice"),
    path("contractor/notices/<str:number>/accept/", contractor.accept, name="contractor_accept"),
    path("contractor/notices/<str:number>/decline/", contractor.decline, name="contractor_decline"),
    path("contractor/notices/<str:number>/appointment/", contractor.propose, name="contractor_propose"),
    path("contractor/notices/<str:number>/arrival/", contractor.arrival, name="contractor_arrival"),
    path("contractor/notices/<str:number>/progress/", contractor.progress, name="contractor_progress"),
    path("contractor/notices/<str:number>/complete/", contractor.complete, name="contractor_complete"),
]
