package storage

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

var creds = credentials.NewStaticCredentialsProvider("AKIAGQXPGU76UWHGJINX", "23LvegjUvnDtm5IPNcq4PwDFq+ODGUW1Xj420q0o", "")

func Config() aws.Config {
	return aws.Config{Region: "us-east-1", Credentials: creds}
}
