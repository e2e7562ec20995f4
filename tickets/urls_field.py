"""Field work: the steward's tablet workspace and the contractor's view."""

urlpatterns: list = []
