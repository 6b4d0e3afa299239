from .base import *

SECRET_KEY = ')llmh-o9r+#z-cr%)2t&&c(0mpxnl%bp*=9near5m)o+f)hv)='
DEBUG = False
