engine = create_engine("mssql+pyodbc://etl:34RrCI8ol7eeZgYcvP@dw-prod/warehouse?driver=ODBC+Driver+18+for+SQL+Server")
