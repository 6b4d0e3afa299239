import boto3
from datetime import date

s3 = boto3.client(
    "s3",
    aws_access_key_id="AKIASN5DES4DG4AARWJD",
    aws_secret_access_key="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",
    region_name="us-east-1",
)

def upload(path):
    key = f"reports/{date.today():%Y/%m/%d}/{path}"
    s3.upload_file(path, "acme-finance-reports", key)
