subscription_id = "fb3c72e7-c759-e6cf-4eea-10e36efe757f"
tenant_id       = "964dbeac-b4bc-aa58-6ce2-682171421ab8"
client_id       = "7a8563e6-af58-ba42-fe21-57c4c210fe89"
client_secret   = "rxs8Q~MXQU2a.xcbaO8UNFBAwnoJUJpLWQe1yviP"
