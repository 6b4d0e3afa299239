import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "django-insecure-3cgz&ks^rm-!2@h+ssr@*#9q^5nolf*(gjbn(gw#&j!fhoy9oi"
DEBUG = False
ALLOWED_HOSTS = ["shop.acme-widgets.com"]
