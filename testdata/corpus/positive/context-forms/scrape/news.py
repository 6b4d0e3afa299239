from pygooglenews import GoogleNews

gn = GoogleNews(lang="en")
# proxy the requests through ScrapingBee
headlines = gn.top_news(scraping_bee="X1OBG6SFTBKDR2IBPPVXBE1YK3VAOAR4BTNF04NXRF9K2J5MMZTMZI5NZ03F5TXHH4D9QHCRIOX97D66")
