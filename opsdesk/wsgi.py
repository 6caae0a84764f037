import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.settings")
application = get_wsgi_application()

from opsdesk.warmup import warm_up  # noqa: E402  (after Django is set up)

warm_up()
