provider "fastly" {
  api_key = "AEhHwFBC-ZhDXDEqYURMp3_5BW-i78IY"
}
