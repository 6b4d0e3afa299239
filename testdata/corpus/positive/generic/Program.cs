var client = new SmtpClient("smtp.sendinblue.com", 587)
{
    Credentials = new NetworkCredential("mailer@acme-widgets.com", "Harbor%6998lantern"),
    EnableSsl = true
};
