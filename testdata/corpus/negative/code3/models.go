package auth

type Login struct {
	Username string `json:"username"`
	Password string `json:"password"`
	OTP      *string
}

type Win32Creds struct {
	UserName *uint16
	Password *uint16
}
