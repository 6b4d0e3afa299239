package auth

const (
	passwordResetSubject = "Reset your password"
	tokenTTL             = 15 * time.Minute
)

func (s *Service) ResetPassword(ctx context.Context, token, newPassword string) error {
	if len(newPassword) < 12 {
		return ErrWeakPassword
	}
	return s.store.SetPassword(ctx, token, newPassword)
}
