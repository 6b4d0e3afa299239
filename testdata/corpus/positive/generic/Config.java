public final class Config {
    public static final String DB_USER = "inventory";
    public static final String DB_PASSWORD = "Orchid*1157lantern";
}
