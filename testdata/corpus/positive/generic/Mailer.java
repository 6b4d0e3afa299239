Session session = Session.getInstance(props, new Authenticator() {
    protected PasswordAuthentication getPasswordAuthentication() {
        return new PasswordAuthentication("alerts@acme-widgets.com", "Zephyr%5997granite");
    }
});
