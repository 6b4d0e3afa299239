import replicate
client = replicate.Client(api_token="r8_NOJu6wcMnwpXVcHhK2h9HKIxW9zFEOUtLIEUN")
