public class Config {
    private final String password = System.getenv("DB_PASSWORD");
    private final String apiKey = props.getProperty("api.key");
    @Value("${jwt.secret}")
    private String jwtSecret;
}
