include $(sort $(wildcard $(BR2_EXTERNAL_IDKIOSK_PATH)/package/*/*.mk))
