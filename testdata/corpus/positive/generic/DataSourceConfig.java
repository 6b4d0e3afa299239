HikariConfig config = new HikariConfig();
config.setJdbcUrl("jdbc:postgresql://db.prod.internal:5432/app");
config.setUsername("app");
config.setPassword("ut2HtAOgfPweuzuglb");
