client = Client(access_token="EAAACuTgdf_1fWkUzc4guecFl3cLBZ1-BOJUhP8LGw7QOwS1olj3kz6vvqPtooCJ", environment="production")
