public class KeyLoader {
    static final String PRIVATE_KEY = "-----BEGIN PRIVATE KEY-----\n" +
        "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDcSeXJ7TlW9JWD\n" +
        "5ooqAapMIBAYt/vX6jdK/h068wEG6WqFuGPqGkOEntZqbsjAwbciQlgL/XXJMTCV\n" +
        "Cz79vA//NK/x/scZeXmKmI4jAOaWQCiDvzQTD3NHRoxpqQhfs/aPQfn8qvuriq0z\n" +
        "slGfNEas6CiIDIbUDs7GBRAtGH3tQn/SvE2TgQ4DELpEU5c/ZCVamKLO962n96ah\n" +
        "VZiBRYz3UHnmH9t8KIqtqB7zMkkx+nReFKvyn0XxMl9xLaQ3iZBYLdJbgfd9ldt1\n" +
        "Yu56RrjnUW9zfIrAmOoSbhjdTW+WDE6Z3j0AXiVQIDU3xrvWc2P4dkTD9A75P2XR\n" +
        "oGQWdjR7AgMBAAECggEABPz3YxcoETwAlrgFsOXQwWCIfMbNwRngnqYaa1dNUqa+\n" +
        "bsC6InbtyHcAS/CuQw8f4nq2G69ll2SxwO48QuqbQiAjS8uFHqKNigHiVhCTKBvT\n" +
        "zwfpWfUjmx2R2GKneeNNVfkcfAgzIrNFMMJ87qn0X73yDQKbmvmq3PkIYL0JPPIV\n" +
        "yP36zHaaICnybfd4IvDtMFwF4i5onRGhoPzIolhAq90kyBaN1GYDAW7P/mC5j6r8\n" +
        "8nQ6Yxg3uoDPcv/AVHqVcYZQW9FXciZ1Ii91F/5SZ1PA7xeqN0rLLCxfFn04TFsS\n" +
        "rJiEwvXkjp3kqjU1SAs5q8aMe5c/9YzQWrikTteZQQKBgQDy01x66bUsEMW31fFW\n" +
        "py6XXoxw9JdVsddRdmRk/zP2chNUhZgJOzzitfoyp+k7GSxQ1o0AUFPqFbpTz9sd\n" +
        "B53ItGnK6OGOSzQzfVo5TLK0ofBgeoSKJxCmMM0K871vtqkG/APgVMpZHzk1BP+v\n" +
        "WiB5udOq1M/M+E1MlbBA/UqweQKBgQDoPYRuMBwrTV0xXi+Efc4HNRxeUxSmBky4\n" +
        "FHH03bB2wlaQzwyqaajTiPYhOIfbqDxv36aTmZCQhR9im0ADWjM2BntAWi6u+iky\n" +
        "jar9CRuJ2g2FKowh5qQhjueQhiVBJ0JTZ3rndJt4nB+0981Y3NcauArANOFnII23\n" +
        "VJtuZngXkwKBgHgmtV/sPEUtl2e7aMtjtd4YXo2VuTwh31TjrBF9ZYzQLVhpMi1/\n" +
        "LkVPnhlqlDE154OoZeR92se9MJFADD91AVHKU36fdNwfwhioMfigRtyyNGrItMRX\n" +
        "SBmzlAGTUWzxiPl3wcNCsU0f8gKWEp4FjoQsutuQqbHWOwlmF+xQaKChAoGAIh5H\n" +
        "gliXCtWGx2Xq3TAOQIjQ7hqOggWS58g5JZwb/JZ4WTXRyodTQiBw6FiBvQduOZFF\n" +
        "y5FX56NnBPmB4fwyYdF58e5NxW8C9mZRpHLeFNZv/gxOIfzcSAHSiyzp9DRsTgx5\n" +
        "xd8fqAxnrBJrnI51G3vGOI6MPrZNm41WeFWddvkCgYEA7KrcRIkDFIJGvh+PNaC2\n" +
        "vT8qnIK+tZ4g/1nDeCP7cUoqY5onokff6zinEXJWLVhmsDZ56vMwk+fr6AcOevlS\n" +
        "HYcDuLji1cltvRvEPDITEC54ebGzbxzuTY6Qrwelye1x7tjFSaKVPsmwDkycXCmI\n" +
        "i1b8g6+hq3hLKpyPALSjb6A=\n" +
        "-----END PRIVATE KEY-----\n" +
        "";
}
