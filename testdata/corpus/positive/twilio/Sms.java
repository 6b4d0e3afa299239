public class Sms {
    public static final String ACCOUNT_SID = "AC1c3d346668c83d3a30b394e4d2fa4dc5";
    public static final String API_KEY = "SKbc20250f398289b0421127934fbc760a";
    public static final String API_SECRET = "wbkOEQZ1ZyxUL0s4ljy2q5DREQuzf9IB";
    static { Twilio.init(API_KEY, API_SECRET, ACCOUNT_SID); }
}
