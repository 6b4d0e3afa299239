import psycopg2

conn = psycopg2.connect(host="10.2.0.7", dbname="orders", user="orders_rw", password="Willow*3322harbor")
