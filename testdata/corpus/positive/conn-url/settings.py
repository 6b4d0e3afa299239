DATABASES = {"default": dj_database_url.parse("postgres://app_rw:PgK7G5^!vZxGUgF1uWWB@pg-main.c8xk2.us-east-1.rds.amazonaws.com:5432/shop")}
