import boto3

session = boto3.session.Session()
client = session.client("s3", region_name="ams3",
                        endpoint_url="https://ams3.digitaloceanspaces.com",
                        aws_access_key_id="DO00ASO1LIA8QA61RM7P",
                        aws_secret_access_key="6j+rRxQ0DX2FHuEFErf/XSC/TeT9ST4hw7NLc7KI7Rw")
