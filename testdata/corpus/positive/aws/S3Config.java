AWSCredentials credentials = new BasicAWSCredentials("AKIA3FMKUQGFVQGADGIX", "zhf2Jt+MpAx6Ft3XGn4Uz52XLXWXjABzDCEcNh7q");
AmazonS3 s3 = AmazonS3ClientBuilder.standard().withCredentials(new AWSStaticCredentialsProvider(credentials)).build();
