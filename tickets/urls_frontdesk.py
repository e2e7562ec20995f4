"""Front desk: intake, queues, search, the ticket page, owner lookup and web reporting."""

urlpatterns: list = []
