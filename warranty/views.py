from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from .navigation import home_url_for
from .scoping import scope


@login_required
def home(request):
    """Send each role to its work."""
    return redirect(home_url_for(request.user))


@login_required
def role_home(request):
    """A role's landing page: its menu and the projects it serves."""
    from .models import Project

    projects = scope(Project.objects.all(), request.user)
    return render(
        request,
        "warranty/role_home.html",
        {"projects": projects, "role": request.user.primary_role},
    )
