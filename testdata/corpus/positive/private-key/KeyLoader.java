public class KeyLoader {
    static final String PRIVATE_KEY = "-----BEGIN PRIVATE KEY-----\n" +
        "MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQD0iEbCwy7o8tsu\n" +
        "8spE5+b6aaD8mY2Nl4XYAsp4yiKakYDzwDrPcD4uW2ml+klsooD3NNKpBcB/Cykr\n" +
        "+gv55XtctWItzftpCXKOiEeNxKgUmZDJN2GJY+13Xhb6qL+1iGsOLHWqPcgEdGG1\n" +
        "Ki8QjDkRtcFVDYx7AObaXa6PwUmZ65M7JXa4fCBxdG8oxKGgU/scOQZsVDmouVuf\n" +
        "AgAWAfhfUhl/NQQ3loELD7ampijZR8R43BS3/VtV9s/7NSge0xerZXvCreGvITBw\n" +
        "xtblOmSr3Cu4l+BPIVX5yND851TOJHVVctZVH+QgVsnWTXb0WWEmiFIvdNezfa7S\n" +
        "Gl4+bvHRAgMBAAECggEAM+KhjwxOrQ9wufS6veWt4SbeCZMEUc2bkPLApuIO9xiW\n" +
        "EcJRSDgi/X+YemcRwsr1Td7HryUBDAPge8wN0/uhEhILj7gD1yzxwXQBqL9YQay2\n" +
        "57cIS1hoZ9pPSmbZbKmSO5rr6ZA721Qdck0N2PdD2bHk4IjkLKpLkXxswGRtG0sS\n" +
        "jeMx9/iCk/GpcIetDRvdR5NMLf1MaodATAfwPrO318eGcD8LpF2dEX+NTJM9JpDA\n" +
        "QVN1ItiNd0VuOK5XRc9/Dy3T04bHPnx1Yfm80Cd8FQzRy8Z761f+eEVnISvsL4FH\n" +
        "nQVUK4wUDbebcZfXO9QWCVt659HYJ0WduuivW7q85QKBgQD9gHaelpdejMA4wz+H\n" +
        "XzSyr+J7gIV7v+II1dYtTSIZ1W5X49ZZ5kXxGyr844w0bK5nlBiQyoOeuFO55zus\n" +
        "b9QO/O6pwsYVNDy3U/zm79Fc0ah/ggSIm9Odk1rCqGgPyccNA3181ZDX+zJMWhp9\n" +
        "lSClF0DPt6szmeWYnqeBMgpVlQKBgQD28S9M3WyDjMjE3YVnolTQzGOUybtSRq5k\n" +
        "ipVPaSsB6ID/kG9Lvon/OdjwH5vzS64JHU4YPUl/bOK2+MJjdVKy73FuSCb3a5hN\n" +
        "DNgGTP0b4/9iB53Yp2rK5sslbZ7p78dnSvpEHPdGw+LQvTZQZVdvaFTDrIpfRM0a\n" +
        "FJFsVRFkTQKBgQDq9FP87MpjIcVPVvfcuksXipk5qocNiW0wjzExT5pZo03gPBWB\n" +
        "wUH2FB4lwalDNa/35HVYTbrsMx+24DCYxBUhxyBVS2dYY9AagseWK5Q6mT+43oLh\n" +
        "MrxSAi9O19OLPpM05pU6TJ8w72tRBPokh0F4gjLZ0vvkmbEJYZMS1ZRqeQKBgQDo\n" +
        "SdgEpgT9eeEhzn8/DSRbhOfnfhwHORWy3em12WfrU5qEzIjk50dIHlJDDnjUU8xS\n" +
        "Jo7fnkcU5ogdNcMla6dvSm2ZH6YH9948HGjZBHLTWZVR0XhZ5KJAWvmdK5Dg3fzk\n" +
        "3VKt39F7b6hcUqBU3/9vfOS/a/59v2pvrgldrme9wQKBgCE6KYtdYUoPkwHaMkDK\n" +
        "fsAu0H3c4pOQzmlKGasf1kgMWzS8y36IJB+qqfm/LgTY8XHWgRHPi42ZlDZ9QkBi\n" +
        "G5CnC4XzKdPWVMPtADxFFNqqzbAl5zgkOEX2DiC2Mk+DCRxU3DP2kTSsTRY6RmYw\n" +
        "byTc79C2TITKRTGr106kHhVU\n" +
        "-----END PRIVATE KEY-----\n" +
        "";
}
