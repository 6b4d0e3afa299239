const sgMail = require("@sendgrid/mail");
sgMail.setApiKey("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");
