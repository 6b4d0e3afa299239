import boto3

def get_secret(name):
    client = boto3.client("secretsmanager")
    secret = client.get_secret_value(SecretId=name)["SecretString"]
    return secret

DB_PASSWORD_SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf"
