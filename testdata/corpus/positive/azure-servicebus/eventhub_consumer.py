from azure.eventhub import EventHubConsumerClient

CONN = "Endpoint=sb://telemetry-ns.servicebus.windows.net/;SharedAccessKeyName=listen;SharedAccessKey=bSYZ1F8NPpTHnQAnQ9I9oYyxlzsKHJY2/igpIF3ZuhQ=;EntityPath=devices"
client = EventHubConsumerClient.from_connection_string(CONN, consumer_group="$Default")
