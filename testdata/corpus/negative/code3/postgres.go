package store

func open(host, user, pass, name string) (*sql.DB, error) {
	dsn := fmt.Sprintf("host=%s user=%s password=%s dbname=%s sslmode=disable", host, user, pass, name)
	return sql.Open("postgres", dsn)
}
