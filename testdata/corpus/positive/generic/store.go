package store

var dbCfg = mysql.Config{
	User:   "ledger",
	Passwd: "U7dRs2lkhsGAEySicw",
	Net:    "tcp",
	Addr:   "10.0.3.9:3306",
	DBName: "ledger",
}
