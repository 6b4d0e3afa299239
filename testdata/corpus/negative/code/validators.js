export const passwordRules = {
  minLength: 12,
  requireDigit: true,
};
export function validate(password) {
  return password.length >= passwordRules.minLength;
}
const PASSWORD_FIELD = "password";
const TOKEN_HEADER = "X-Auth-Token";
