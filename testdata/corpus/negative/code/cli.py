import argparse

p = argparse.ArgumentParser()
p.add_argument("--password", help="database password (default: $DB_PASSWORD)")
p.add_argument("--api-key", dest="api_key", default=None)
args = p.parse_args()
