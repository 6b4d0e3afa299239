import requests
requests.get("https://jenkins.corp.local/api/json", headers={"Authorization": "Basic amVua2luczpldmdqbEd3eDJ5eWdMdmM1QzI4MXlyZnU="})
