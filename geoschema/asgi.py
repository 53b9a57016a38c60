import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoschema.settings")
os.environ.setdefault("QUARTIER_STATEMENT_TIMEOUT_MS", "15000")  # every API statement is bounded
application = get_asgi_application()
