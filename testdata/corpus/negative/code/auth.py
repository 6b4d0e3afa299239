def check_password(user, password):
    if not password:
        raise ValueError("password required")
    return bcrypt.checkpw(password.encode(), user.password_hash)

def make_token(user):
    token = secrets.token_urlsafe(32)
    return token
