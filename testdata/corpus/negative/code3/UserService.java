public void reset(User u, String newPassword) {
    u.setPassword(passwordEncoder.encode(newPassword));
    ds.setPassword(env.getProperty("db.password"));
    mail.setPassword(config.getSmtpPassword());
}
