from ftplib import FTP
import urllib.request
urllib.request.urlretrieve("ftp://partner:ula9mFOwSFdZ@ftp.supplier-corp.com/feeds/catalog.csv", "catalog.csv")
