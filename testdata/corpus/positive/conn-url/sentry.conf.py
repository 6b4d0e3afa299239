SENTRY_OPTIONS["system.secret-key"] = "%+(yyvlt#765fhtg*fa0nm!*b3x*@0fvm74vt)^x_8u7sh#vxv"
