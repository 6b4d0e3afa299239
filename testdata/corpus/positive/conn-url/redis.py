import redis
r = redis.from_url("rediss://default:a5IE0mS8hF5NFmPuzT@redis-12345.c1.us-east-1-2.ec2.cloud.redislabs.com:12345")
