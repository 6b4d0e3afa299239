var creds = new NetworkCredential(settings.User, settings.Password);
var secure = ConvertTo(password);
