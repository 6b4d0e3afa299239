public class KeyLoader {
    static final String PRIVATE_KEY = "-----BEGIN PRIVATE KEY-----\n" +
        "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCgN0+2Ox4RZZS9\n" +
        "pL2tk/kHXKYTwqO/tabcqpylGaoi14cewGOLgzJuFactp8YS9OCFvcrw7EzHvPc4\n" +
        "gdQEcG4fyFBwk5zwyD8sFBon0XrdW4GrYaF/LI8MmOj58SX6ADx2W7SvfV5gxGrl\n" +
        "nu2RlhLsjHK+Dfrw8JppMPB38iBhljO2D78ntKqqdVD64Vi+DzfDHolt9JshlfPW\n" +
        "xjzZNEyE2IuLXdGfYKwB+KHk5oRaDrLStL91YjeSSDobFkSI/cEulxV3hSBpS1yk\n" +
        "ANc6VHur0nXcb8gM3Bw/owKJ/xyscVd2R23xLkP/xYZ/sqIAfJ8y+d9zlrC2OSPC\n" +
        "0MvyLPWzAgMBAAECggEAS9oT85cmg57/ng9mO80gK/OZryZJ50QFpVhjBClT6t32\n" +
        "W0FDf7QUBplaxls1hBkKSVdTQt/k8/WLZ+XTbmyaPpLUPpAsT7TGb8Ruo6ZiEHW3\n" +
        "vN9imbaLXS/xsQ+R5rwA5BpDv4fPzGmBoIevOut9tx9BXah5w2Nt/1pLpsXrvbci\n" +
        "bh8bCdsm5d3qLVIe3Hz+qzNweKgGvG4ur+4l/drmXeW+cUCpXvjQgpfNqzT9kg45\n" +
        "K54ntQV7OVxyrQR9/8DSxeW4CX+2FByrIzs5hTPSeYW/LethyN8tS2w+1FjqmPdI\n" +
        "SGQEmjLgi3tcj1zBqY7FXtV7GfeVmxkkylK6shRuBQKBgQDVEk3bJWb6ew1q9z5P\n" +
        "GLrcCcg4pNyJnkdWvhq4HqaUfV7wWHDzPAVgOULqtjxIZcj0Bea0B/u1/op2oIxq\n" +
        "RVdo9WTj8Efc8eMVNYbHjLFgW/qPs+CIJU+Kne3wEA1PiWCs4xSXHUdqlfSReKdT\n" +
        "brlv98FDVvhYpXtlwBYKU4dBhwKBgQDAftsKr0ddtegsJt+TdhQlRHbnk0p6K3uS\n" +
        "LPKTFLO+peFS1Og8IclS8TsUFNr3BeCKMMF+GU+3MAiha3zclbaRyoqQSUppFDPU\n" +
        "w3Xq07DdBBMu4Q7f5Y+crbhWXvd5Ynb+fvtWIoxLmtWuKxOht8H2x2Pgk7AIcsU1\n" +
        "x1xyLuCldQKBgG4TG7eoNfAXHBJzknQIYZiFUTO6L9jEtTQh1+ngo8w4jJB8EDYI\n" +
        "fvp7+o8JAFGii9NNLSc6rJYT3vJz9LZ+Bi9J/womuulw6RCu62cxzvzp56LPmaKc\n" +
        "K+B/wElx8X5yiUgntB5xWNC+kW+Jtl/K5u/qPaSNTJV3QC2Ls5c4GbsHAoGBAKF2\n" +
        "xs0DkV0thH3kbY0HcoaAEyzUA5jOeGx4f1CYAN1dzs7n/5TQ0kpcRi3mAHVL3LiN\n" +
        "hP/8wzzpcZPU0XtFqUpJFklI8L2LUJ6bBYHf5268SEr+RLfRmtDVdtYb+oE68o0u\n" +
        "fiwV9pBEZBAf2evAc1ZIkaKCvxmXC4y8mPK+F3kxAoGATa2TfP7dJbWc6gxA2h3W\n" +
        "OZUcz6xFN8M72ZntNRwwnwPf07Ad/fGRWrlswaJlBcupHZI38v7x9FJ3+ZHnZRP6\n" +
        "/r5Qz8bReOSntWz3Wh0c9Si7uQTqlsAdF3eGq6sP8ujI6h/oZRohXFXLnQlrOJqr\n" +
        "9YcJXIyS4GcRtgaO+QdVc7U=\n" +
        "-----END PRIVATE KEY-----\n" +
        "";
}
