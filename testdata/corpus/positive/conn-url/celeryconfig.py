broker_url = "amqp://worker:jdEH1EYmPTHRGcStNz@rabbitmq.internal:5672/prod"
result_backend = "rpc://"
