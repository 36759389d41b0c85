/* Unit tests for src/sdp: parsing of realistic Chrome 120 and Firefox 115
 * offers and of a Chrome answer (field by field), the publish answer and the
 * subscribe offer re-parsed, the subscribe answer check, every parser limit
 * and hostile input, and every output capacity below the needed one. The
 * fixtures are the same texts as tests/fuzz/corpus/sdp/. */
#include <stdint.h>
#include <stdlib.h>

#include "sdp/sdp.h"
#include "test.h"

/* ---- fixtures: what the browsers send ---- */

static const char CHROME_OFFER[] =
    "v=0\r\n"
    "o=- 8127349534738620139 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0 1 2\r\n"
    "a=extmap-allow-mixed\r\n"
    "a=msid-semantic: WMS e3a0b2c1-5d4f-4a8b-9c7e-1f2a3b4c5d6e\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:Xk7q\r\n"
    "a=ice-pwd:4Yt0pQm2Hc9vLx1sNwZr8eJf\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 97:1A:F4:2A:55:59:7C:DB:09:B5:38:F9:6B:EC:89:E0:31:4A:F3:4A:2C:1F:58:61:D9:BC:ED:6C:B4:FC:4E:88\r\n"
    "a=setup:actpass\r\n"
    "a=mid:0\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=sendonly\r\n"
    "a=msid:e3a0b2c1-5d4f-4a8b-9c7e-1f2a3b4c5d6e 8a1f0c3e-2b7d-4e6f-a9c8-3d5e7f9a1b2c\r\n"
    "a=rtcp-mux\r\n"
    "a=rtcp-rsize\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=rtcp-fb:111 transport-cc\r\n"
    "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
    "a=rtpmap:63 red/48000/2\r\n"
    "a=fmtp:63 111/111\r\n"
    "a=rtpmap:9 G722/8000\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:13 CN/8000\r\n"
    "a=rtpmap:110 telephone-event/48000\r\n"
    "a=rtpmap:126 telephone-event/8000\r\n"
    "a=ssrc:3523440517 cname:Kq3Xb7r2c1Ow9+Fd\r\n"
    "a=ssrc:3523440517 msid:e3a0b2c1-5d4f-4a8b-9c7e-1f2a3b4c5d6e 8a1f0c3e-2b7d-4e6f-a9c8-3d5e7f9a1b2c\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 104 105 106 107 108 109 127 125 39 40 45 46 98 99 100 101 112 113 116 117 118\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:Xk7q\r\n"
    "a=ice-pwd:4Yt0pQm2Hc9vLx1sNwZr8eJf\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 97:1A:F4:2A:55:59:7C:DB:09:B5:38:F9:6B:EC:89:E0:31:4A:F3:4A:2C:1F:58:61:D9:BC:ED:6C:B4:FC:4E:88\r\n"
    "a=setup:actpass\r\n"
    "a=mid:1\r\n"
    "a=extmap:14 urn:ietf:params:rtp-hdrext:toffset\r\n"
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
    "a=extmap:13 urn:3gpp:video-orientation\r\n"
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
    "a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay\r\n"
    "a=extmap:6 http://www.webrtc.org/experiments/rtp-hdrext/video-content-type\r\n"
    "a=extmap:7 http://www.webrtc.org/experiments/rtp-hdrext/video-timing\r\n"
    "a=extmap:8 http://www.webrtc.org/experiments/rtp-hdrext/color-space\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n"
    "a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id\r\n"
    "a=sendonly\r\n"
    "a=msid:e3a0b2c1-5d4f-4a8b-9c7e-1f2a3b4c5d6e 4c6e8a0b-1d3f-4b5a-8c7e-9f0a2b4c6d8e\r\n"
    "a=rtcp-mux\r\n"
    "a=rtcp-rsize\r\n"
    "a=rtpmap:96 VP8/90000\r\n"
    "a=rtcp-fb:96 goog-remb\r\n"
    "a=rtcp-fb:96 transport-cc\r\n"
    "a=rtcp-fb:96 ccm fir\r\n"
    "a=rtcp-fb:96 nack\r\n"
    "a=rtcp-fb:96 nack pli\r\n"
    "a=rtpmap:97 rtx/90000\r\n"
    "a=fmtp:97 apt=96\r\n"
    "a=rtpmap:102 H264/90000\r\n"
    "a=rtcp-fb:102 goog-remb\r\n"
    "a=rtcp-fb:102 transport-cc\r\n"
    "a=rtcp-fb:102 ccm fir\r\n"
    "a=rtcp-fb:102 nack\r\n"
    "a=rtcp-fb:102 nack pli\r\n"
    "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f\r\n"
    "a=rtpmap:103 rtx/90000\r\n"
    "a=fmtp:103 apt=102\r\n"
    "a=rtpmap:104 H264/90000\r\n"
    "a=rtcp-fb:104 goog-remb\r\n"
    "a=rtcp-fb:104 transport-cc\r\n"
    "a=rtcp-fb:104 ccm fir\r\n"
    "a=rtcp-fb:104 nack\r\n"
    "a=rtcp-fb:104 nack pli\r\n"
    "a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f\r\n"
    "a=rtpmap:105 rtx/90000\r\n"
    "a=fmtp:105 apt=104\r\n"
    "a=rtpmap:106 H264/90000\r\n"
    "a=rtcp-fb:106 goog-remb\r\n"
    "a=rtcp-fb:106 transport-cc\r\n"
    "a=rtcp-fb:106 ccm fir\r\n"
    "a=rtcp-fb:106 nack\r\n"
    "a=rtcp-fb:106 nack pli\r\n"
    "a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n"
    "a=rtpmap:107 rtx/90000\r\n"
    "a=fmtp:107 apt=106\r\n"
    "a=rtpmap:108 H264/90000\r\n"
    "a=rtcp-fb:108 goog-remb\r\n"
    "a=rtcp-fb:108 transport-cc\r\n"
    "a=rtcp-fb:108 ccm fir\r\n"
    "a=rtcp-fb:108 nack\r\n"
    "a=rtcp-fb:108 nack pli\r\n"
    "a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f\r\n"
    "a=rtpmap:109 rtx/90000\r\n"
    "a=fmtp:109 apt=108\r\n"
    "a=rtpmap:127 H264/90000\r\n"
    "a=rtcp-fb:127 goog-remb\r\n"
    "a=rtcp-fb:127 transport-cc\r\n"
    "a=rtcp-fb:127 ccm fir\r\n"
    "a=rtcp-fb:127 nack\r\n"
    "a=rtcp-fb:127 nack pli\r\n"
    "a=fmtp:127 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f\r\n"
    "a=rtpmap:125 rtx/90000\r\n"
    "a=fmtp:125 apt=127\r\n"
    "a=rtpmap:39 H264/90000\r\n"
    "a=rtcp-fb:39 goog-remb\r\n"
    "a=rtcp-fb:39 transport-cc\r\n"
    "a=rtcp-fb:39 ccm fir\r\n"
    "a=rtcp-fb:39 nack\r\n"
    "a=rtcp-fb:39 nack pli\r\n"
    "a=fmtp:39 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=4d001f\r\n"
    "a=rtpmap:40 rtx/90000\r\n"
    "a=fmtp:40 apt=39\r\n"
    "a=rtpmap:45 AV1/90000\r\n"
    "a=rtcp-fb:45 goog-remb\r\n"
    "a=rtcp-fb:45 transport-cc\r\n"
    "a=rtcp-fb:45 ccm fir\r\n"
    "a=rtcp-fb:45 nack\r\n"
    "a=rtcp-fb:45 nack pli\r\n"
    "a=fmtp:45 level-idx=5;profile=0;tier=0\r\n"
    "a=rtpmap:46 rtx/90000\r\n"
    "a=fmtp:46 apt=45\r\n"
    "a=rtpmap:98 VP9/90000\r\n"
    "a=rtcp-fb:98 goog-remb\r\n"
    "a=rtcp-fb:98 transport-cc\r\n"
    "a=rtcp-fb:98 ccm fir\r\n"
    "a=rtcp-fb:98 nack\r\n"
    "a=rtcp-fb:98 nack pli\r\n"
    "a=fmtp:98 profile-id=0\r\n"
    "a=rtpmap:99 rtx/90000\r\n"
    "a=fmtp:99 apt=98\r\n"
    "a=rtpmap:100 VP9/90000\r\n"
    "a=rtcp-fb:100 goog-remb\r\n"
    "a=rtcp-fb:100 transport-cc\r\n"
    "a=rtcp-fb:100 ccm fir\r\n"
    "a=rtcp-fb:100 nack\r\n"
    "a=rtcp-fb:100 nack pli\r\n"
    "a=fmtp:100 profile-id=2\r\n"
    "a=rtpmap:101 rtx/90000\r\n"
    "a=fmtp:101 apt=100\r\n"
    "a=rtpmap:112 H264/90000\r\n"
    "a=rtcp-fb:112 goog-remb\r\n"
    "a=rtcp-fb:112 transport-cc\r\n"
    "a=rtcp-fb:112 ccm fir\r\n"
    "a=rtcp-fb:112 nack\r\n"
    "a=rtcp-fb:112 nack pli\r\n"
    "a=fmtp:112 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64001f\r\n"
    "a=rtpmap:113 rtx/90000\r\n"
    "a=fmtp:113 apt=112\r\n"
    "a=rtpmap:116 red/90000\r\n"
    "a=rtpmap:117 rtx/90000\r\n"
    "a=fmtp:117 apt=116\r\n"
    "a=rtpmap:118 ulpfec/90000\r\n"
    "a=ssrc-group:FID 2946208452 1408187362\r\n"
    "a=ssrc:2946208452 cname:Kq3Xb7r2c1Ow9+Fd\r\n"
    "a=ssrc:2946208452 msid:e3a0b2c1-5d4f-4a8b-9c7e-1f2a3b4c5d6e 4c6e8a0b-1d3f-4b5a-8c7e-9f0a2b4c6d8e\r\n"
    "a=ssrc:1408187362 cname:Kq3Xb7r2c1Ow9+Fd\r\n"
    "a=ssrc:1408187362 msid:e3a0b2c1-5d4f-4a8b-9c7e-1f2a3b4c5d6e 4c6e8a0b-1d3f-4b5a-8c7e-9f0a2b4c6d8e\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:Xk7q\r\n"
    "a=ice-pwd:4Yt0pQm2Hc9vLx1sNwZr8eJf\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 97:1A:F4:2A:55:59:7C:DB:09:B5:38:F9:6B:EC:89:E0:31:4A:F3:4A:2C:1F:58:61:D9:BC:ED:6C:B4:FC:4E:88\r\n"
    "a=setup:actpass\r\n"
    "a=mid:2\r\n"
    "a=sctp-port:5000\r\n"
    "a=max-message-size:262144\r\n";

static const char FIREFOX_OFFER[] =
    "v=0\r\n"
    "o=mozilla...THIS_IS_SDPARTA-115.6.0 5403413587416588044 0 IN IP4 0.0.0.0\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=fingerprint:sha-256 9D:32:86:D6:82:99:31:ED:50:61:B6:1D:5D:F2:F6:C7:71:81:EE:77:F1:28:72:20:F8:1C:EF:59:61:1B:97:0D\r\n"
    "a=group:BUNDLE 0 1 2\r\n"
    "a=ice-options:trickle\r\n"
    "a=msid-semantic:WMS *\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 109 9 0 8 101\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=sendonly\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
    "a=extmap:2/recvonly urn:ietf:params:rtp-hdrext:csrc-audio-level\r\n"
    "a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=fmtp:109 maxplaybackrate=48000;stereo=1;useinbandfec=1\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=ice-pwd:e4c5d8b4a7f0e2c19b3d6a5f8e7c1d20\r\n"
    "a=ice-ufrag:7f3a9c21\r\n"
    "a=mid:0\r\n"
    "a=msid:{5e0a1f2c-7b3d-4c8e-9a6f-0d1e2f3a4b5c} {9b8c7d6e-5f4a-4b3c-8d2e-1f0a9b8c7d6e}\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:109 opus/48000/2\r\n"
    "a=rtpmap:9 G722/8000/1\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000/1\r\n"
    "a=setup:actpass\r\n"
    "a=ssrc:1868395740 cname:{4b9e2c7a-1d3f-4e5a-8b6c-9d0e1f2a3b4c}\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 120 124 121 125 126 127 97 98 123 122 119\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=sendonly\r\n"
    "a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=extmap:4 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
    "a=extmap:5 urn:ietf:params:rtp-hdrext:toffset\r\n"
    "a=extmap:6/recvonly http://www.webrtc.org/experiments/rtp-hdrext/playout-delay\r\n"
    "a=extmap:7 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
    "a=fmtp:126 profile-level-id=42e01f;level-asymmetry-allowed=1;packetization-mode=1\r\n"
    "a=fmtp:97 profile-level-id=42e01f;level-asymmetry-allowed=1\r\n"
    "a=fmtp:120 max-fs=12288;max-fr=60\r\n"
    "a=fmtp:124 apt=120\r\n"
    "a=fmtp:121 max-fs=12288;max-fr=60\r\n"
    "a=fmtp:125 apt=121\r\n"
    "a=fmtp:127 apt=126\r\n"
    "a=fmtp:98 apt=97\r\n"
    "a=fmtp:119 apt=122\r\n"
    "a=ice-pwd:e4c5d8b4a7f0e2c19b3d6a5f8e7c1d20\r\n"
    "a=ice-ufrag:7f3a9c21\r\n"
    "a=mid:1\r\n"
    "a=msid:{5e0a1f2c-7b3d-4c8e-9a6f-0d1e2f3a4b5c} {2d4f6a8c-0e1b-4d3f-a5c7-e9f1b3d5a7c9}\r\n"
    "a=rtcp-fb:120 nack\r\n"
    "a=rtcp-fb:120 nack pli\r\n"
    "a=rtcp-fb:120 ccm fir\r\n"
    "a=rtcp-fb:120 goog-remb\r\n"
    "a=rtcp-fb:120 transport-cc\r\n"
    "a=rtcp-fb:121 nack\r\n"
    "a=rtcp-fb:121 nack pli\r\n"
    "a=rtcp-fb:121 ccm fir\r\n"
    "a=rtcp-fb:121 goog-remb\r\n"
    "a=rtcp-fb:121 transport-cc\r\n"
    "a=rtcp-fb:126 nack\r\n"
    "a=rtcp-fb:126 nack pli\r\n"
    "a=rtcp-fb:126 ccm fir\r\n"
    "a=rtcp-fb:126 goog-remb\r\n"
    "a=rtcp-fb:126 transport-cc\r\n"
    "a=rtcp-fb:97 nack\r\n"
    "a=rtcp-fb:97 nack pli\r\n"
    "a=rtcp-fb:97 ccm fir\r\n"
    "a=rtcp-fb:97 goog-remb\r\n"
    "a=rtcp-fb:97 transport-cc\r\n"
    "a=rtcp-fb:123 nack\r\n"
    "a=rtcp-fb:123 nack pli\r\n"
    "a=rtcp-fb:123 ccm fir\r\n"
    "a=rtcp-fb:123 goog-remb\r\n"
    "a=rtcp-fb:123 transport-cc\r\n"
    "a=rtcp-fb:122 nack\r\n"
    "a=rtcp-fb:122 nack pli\r\n"
    "a=rtcp-fb:122 ccm fir\r\n"
    "a=rtcp-fb:122 goog-remb\r\n"
    "a=rtcp-fb:122 transport-cc\r\n"
    "a=rtcp-mux\r\n"
    "a=rtcp-rsize\r\n"
    "a=rtpmap:120 VP8/90000\r\n"
    "a=rtpmap:124 rtx/90000\r\n"
    "a=rtpmap:121 VP9/90000\r\n"
    "a=rtpmap:125 rtx/90000\r\n"
    "a=rtpmap:126 H264/90000\r\n"
    "a=rtpmap:127 rtx/90000\r\n"
    "a=rtpmap:97 H264/90000\r\n"
    "a=rtpmap:98 rtx/90000\r\n"
    "a=rtpmap:123 ulpfec/90000\r\n"
    "a=rtpmap:122 red/90000\r\n"
    "a=rtpmap:119 rtx/90000\r\n"
    "a=setup:actpass\r\n"
    "a=ssrc:2281592841 cname:{4b9e2c7a-1d3f-4e5a-8b6c-9d0e1f2a3b4c}\r\n"
    "a=ssrc:4063416232 cname:{4b9e2c7a-1d3f-4e5a-8b6c-9d0e1f2a3b4c}\r\n"
    "a=ssrc-group:FID 2281592841 4063416232\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=sendrecv\r\n"
    "a=ice-pwd:e4c5d8b4a7f0e2c19b3d6a5f8e7c1d20\r\n"
    "a=ice-ufrag:7f3a9c21\r\n"
    "a=mid:2\r\n"
    "a=setup:actpass\r\n"
    "a=sctp-port:5000\r\n"
    "a=max-message-size:1073741823\r\n";

static const char CHROME_SUBSCRIBE_ANSWER[] =
    "v=0\r\n"
    "o=- 5612946571348873571 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0 1 2\r\n"
    "a=msid-semantic: WMS\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:Qm2t\r\n"
    "a=ice-pwd:b7Hk1Zp9Rx3Wq5Ls8Nd0Vf2J\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 1E:73:DC:F2:99:AC:C7:D0:A3:89:0D:6E:40:0B:0D:50:49:FA:A5:72:B5:CE:7D:95:C9:F2:94:58:16:07:1B:DF\r\n"
    "a=setup:active\r\n"
    "a=mid:0\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
    "a=recvonly\r\n"
    "a=rtcp-mux\r\n"
    "a=rtcp-rsize\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:Qm2t\r\n"
    "a=ice-pwd:b7Hk1Zp9Rx3Wq5Ls8Nd0Vf2J\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 1E:73:DC:F2:99:AC:C7:D0:A3:89:0D:6E:40:0B:0D:50:49:FA:A5:72:B5:CE:7D:95:C9:F2:94:58:16:07:1B:DF\r\n"
    "a=setup:active\r\n"
    "a=mid:1\r\n"
    "a=recvonly\r\n"
    "a=rtcp-mux\r\n"
    "a=rtcp-rsize\r\n"
    "a=rtpmap:96 VP8/90000\r\n"
    "a=rtcp-fb:96 goog-remb\r\n"
    "a=rtcp-fb:96 ccm fir\r\n"
    "a=rtcp-fb:96 nack\r\n"
    "a=rtcp-fb:96 nack pli\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:Qm2t\r\n"
    "a=ice-pwd:b7Hk1Zp9Rx3Wq5Ls8Nd0Vf2J\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 1E:73:DC:F2:99:AC:C7:D0:A3:89:0D:6E:40:0B:0D:50:49:FA:A5:72:B5:CE:7D:95:C9:F2:94:58:16:07:1B:DF\r\n"
    "a=setup:active\r\n"
    "a=mid:2\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
    "a=inactive\r\n"
    "a=rtcp-mux\r\n"
    "a=rtcp-rsize\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=fmtp:111 minptime=10;useinbandfec=1\r\n";
/* ---- helpers ---- */

#define SERVER_FP                                                                              \
  "B7:00:3E:1B:BE:F0:AC:AA:F5:43:5F:CA:62:0C:E4:8D:B9:EA:A0:90:2A:44:48:4E:A1:D3:ED:6D:CC:B1:" \
  "A9:C1"

static const sdp_local LOCAL = {"SfUl", "Pw0123456789abcdefghijKL", SERVER_FP, "192.0.2.10",
                                40000, 1234567890123ULL, 2, SDP_CAND_UDP};
static const sdp_local LOCAL6 = {"SfUl", "Pw0123456789abcdefghijKL", SERVER_FP, "2001:db8::1",
                                 40000, 1, 1, SDP_CAND_UDP};

static sdp_session *new_session(void) {
  sdp_session *s = calloc(1, sizeof *s);
  if (!s) abort();
  return s;
}

static int parse(const char *text, sdp_session *s, char *err, size_t errcap) {
  return sdp_parse(text, strlen(text), s, err, errcap);
}

/* True if text does not parse; err must then say something. */
static int rejected(const char *text) {
  sdp_session *s = new_session();
  char err[128] = "";
  int rc = sdp_parse(text, strlen(text), s, err, sizeof err);
  free(s);
  return rc == -1 && err[0] != '\0';
}

/* The codec of payload type pt; a failed check and an empty codec if absent. */
static const sdp_codec *codec(const sdp_media *m, int pt) {
  static const sdp_codec missing;
  for (int i = 0; i < m->n_codecs; i++) {
    if (m->codecs[i].pt == pt) return &m->codecs[i];
  }
  CHECK(!"payload type present");
  return &missing;
}

static int ext(const sdp_media *m, const char *uri) {
  for (int i = 0; i < m->n_exts; i++) {
    if (strcmp(m->exts[i].uri, uri) == 0) return m->exts[i].id;
  }
  return 0;
}

static int count(const char *hay, const char *needle) {
  int n = 0;
  for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) n++;
  return n;
}

/* Text of m-section i (from its "m=" to the next or the end), in buf. */
static const char *section(const char *sdp, int i, char *buf, size_t cap) {
  const char *p = sdp;
  for (int k = 0; k <= i; k++) {
    p = strstr(p, k == 0 && strncmp(sdp, "m=", 2) == 0 ? "m=" : "\r\nm=");
    if (!p) return "";
    p += p[0] == '\r' ? 2 : 0;
    if (k < i) p++;
  }
  const char *end = strstr(p, "\r\nm=");
  size_t n = end ? (size_t)(end - p) + 2 : strlen(p);
  if (n >= cap) n = cap - 1;
  memcpy(buf, p, n);
  buf[n] = '\0';
  return buf;
}

/* Replaces the first occurrence of from by to in src; result is malloc'ed. */
static char *replace(const char *src, const char *from, const char *to) {
  const char *hit = strstr(src, from);
  if (!hit) abort();
  size_t a = (size_t)(hit - src), fl = strlen(from), tl = strlen(to), rest = strlen(hit + fl);
  char *out = malloc(a + tl + rest + 1);
  if (!out) abort();
  memcpy(out, src, a);
  memcpy(out + a, to, tl);
  memcpy(out + a + tl, hit + fl, rest + 1);
  return out;
}

static const uint8_t CHROME_FP[32] = {0x97, 0x1A, 0xF4, 0x2A, 0x55, 0x59, 0x7C, 0xDB,
                                      0x09, 0xB5, 0x38, 0xF9, 0x6B, 0xEC, 0x89, 0xE0,
                                      0x31, 0x4A, 0xF3, 0x4A, 0x2C, 0x1F, 0x58, 0x61,
                                      0xD9, 0xBC, 0xED, 0x6C, 0xB4, 0xFC, 0x4E, 0x88};

#define URI_LEVEL "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
#define URI_AST "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
#define URI_TCC "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
#define URI_MID "urn:ietf:params:rtp-hdrext:sdes:mid"
#define URI_RID "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
#define CHROME_STREAM "e3a0b2c1-5d4f-4a8b-9c7e-1f2a3b4c5d6e"
#define ALL_FB (SDP_FB_NACK | SDP_FB_PLI | SDP_FB_FIR | SDP_FB_REMB | SDP_FB_TCC)

/* ---- parsing what browsers send ---- */

static void test_parse_chrome_offer(void) {
  sdp_session *s = new_session();
  char err[128];
  CHECK_EQ_INT(parse(CHROME_OFFER, s, err, sizeof err), 0);
  CHECK_EQ_STR(s->ice_ufrag, "Xk7q");
  CHECK_EQ_STR(s->ice_pwd, "4Yt0pQm2Hc9vLx1sNwZr8eJf");
  CHECK(!s->ice_lite);
  CHECK_EQ_STR(s->fp_alg, "sha-256");
  CHECK_EQ_INT(s->fp_len, 32);
  CHECK(memcmp(s->fp, CHROME_FP, 32) == 0);
  CHECK_EQ_STR(s->setup, "actpass");
  CHECK_EQ_INT(s->n_bundle, 3);
  CHECK_EQ_STR(s->bundle[0], "0");
  CHECK_EQ_STR(s->bundle[2], "2");
  CHECK_EQ_INT(s->n_media, 3);

  const sdp_media *a = &s->media[0];
  CHECK_EQ_INT(a->kind, SDP_AUDIO);
  CHECK_EQ_STR(a->mid, "0");
  CHECK_EQ_INT(a->port, 9);
  CHECK_EQ_INT(a->dir, SDP_SENDONLY);
  CHECK(a->rtcp_mux && a->rtcp_rsize && !a->bundle_only);
  CHECK_EQ_STR(a->media, "audio");
  CHECK_EQ_STR(a->proto, "UDP/TLS/RTP/SAVPF");
  CHECK_EQ_STR(a->fmt0, "111");
  CHECK_EQ_INT(a->n_codecs, 8);
  static const int audio_pts[] = {111, 63, 9, 0, 8, 13, 110, 126};
  for (int i = 0; i < 8; i++) CHECK_EQ_INT(a->codecs[i].pt, audio_pts[i]);
  CHECK_EQ_STR(a->codecs[0].name, "opus");
  CHECK_EQ_INT(a->codecs[0].clock, 48000);
  CHECK_EQ_INT(a->codecs[0].channels, 2);
  CHECK_EQ_STR(a->codecs[0].fmtp, "minptime=10;useinbandfec=1");
  CHECK_EQ_INT(a->codecs[0].fb, SDP_FB_TCC);
  CHECK_EQ_INT(a->codecs[0].apt, -1);
  CHECK_EQ_STR(a->codecs[1].name, "red");
  CHECK_EQ_STR(a->codecs[1].fmtp, "111/111");
  CHECK_EQ_STR(codec(a, 9)->name, "G722");
  CHECK_EQ_INT(codec(a, 9)->channels, 1);
  CHECK_EQ_STR(codec(a, 0)->name, "PCMU");
  CHECK_EQ_STR(codec(a, 126)->name, "telephone-event");
  CHECK_EQ_INT(codec(a, 126)->clock, 8000);
  CHECK_EQ_INT(codec(a, 110)->clock, 48000);
  CHECK_EQ_INT(a->n_exts, 4);
  CHECK_EQ_INT(ext(a, URI_LEVEL), 1);
  CHECK_EQ_INT(ext(a, URI_AST), 2);
  CHECK_EQ_INT(ext(a, URI_TCC), 3);
  CHECK_EQ_INT(ext(a, URI_MID), 4);
  CHECK_EQ_INT(a->n_ssrcs, 1);
  CHECK_EQ_INT(a->ssrcs[0], 3523440517u);
  CHECK_EQ_INT(a->rtx_ssrc, 0);
  CHECK_EQ_STR(a->msid_stream, CHROME_STREAM);
  CHECK_EQ_STR(a->msid_track, "8a1f0c3e-2b7d-4e6f-a9c8-3d5e7f9a1b2c");

  const sdp_media *v = &s->media[1];
  CHECK_EQ_INT(v->kind, SDP_VIDEO);
  CHECK_EQ_STR(v->mid, "1");
  CHECK_EQ_INT(v->dir, SDP_SENDONLY);
  CHECK(v->rtcp_mux && v->rtcp_rsize);
  CHECK_EQ_INT(v->n_codecs, 25);
  CHECK_EQ_INT(v->codecs[0].pt, 96);
  CHECK_EQ_STR(v->codecs[0].name, "VP8");
  CHECK_EQ_INT(v->codecs[0].clock, 90000);
  CHECK_EQ_INT(v->codecs[0].channels, 0);
  CHECK_EQ_INT(v->codecs[0].fb, ALL_FB);
  CHECK_EQ_STR(codec(v, 97)->name, "rtx");
  CHECK_EQ_INT(codec(v, 97)->apt, 96);
  CHECK_EQ_INT(codec(v, 97)->fb, 0);
  CHECK_EQ_STR(codec(v, 102)->name, "H264");
  CHECK_EQ_STR(codec(v, 102)->fmtp,
               "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f");
  CHECK_EQ_STR(codec(v, 112)->fmtp,
               "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64001f");
  CHECK_EQ_INT(codec(v, 40)->apt, 39);
  CHECK_EQ_STR(codec(v, 45)->name, "AV1");
  CHECK_EQ_STR(codec(v, 45)->fmtp, "level-idx=5;profile=0;tier=0");
  CHECK_EQ_INT(codec(v, 45)->fb, ALL_FB);
  CHECK_EQ_STR(codec(v, 98)->name, "VP9");
  CHECK_EQ_STR(codec(v, 100)->fmtp, "profile-id=2");
  CHECK_EQ_STR(codec(v, 116)->name, "red");
  CHECK_EQ_INT(codec(v, 117)->apt, 116);
  CHECK_EQ_STR(codec(v, 118)->name, "ulpfec");
  CHECK_EQ_INT(codec(v, 118)->apt, -1);
  CHECK_EQ_INT(v->n_exts, 11);
  CHECK_EQ_INT(ext(v, "urn:ietf:params:rtp-hdrext:toffset"), 14);
  CHECK_EQ_INT(ext(v, URI_AST), 2);
  CHECK_EQ_INT(ext(v, URI_TCC), 3);
  CHECK_EQ_INT(ext(v, URI_MID), 4);
  CHECK_EQ_INT(ext(v, URI_RID), 10);
  CHECK_EQ_INT(ext(v, URI_LEVEL), 0);
  CHECK_EQ_INT(v->n_ssrcs, 1);
  CHECK_EQ_INT(v->ssrcs[0], 2946208452u);
  CHECK_EQ_INT(v->rtx_ssrc, 1408187362u);
  CHECK_EQ_STR(v->msid_stream, CHROME_STREAM);
  CHECK_EQ_STR(v->msid_track, "4c6e8a0b-1d3f-4b5a-8c7e-9f0a2b4c6d8e");

  const sdp_media *d = &s->media[2];
  CHECK_EQ_INT(d->kind, SDP_APPLICATION);
  CHECK_EQ_STR(d->mid, "2");
  CHECK_EQ_INT(d->port, 9);
  CHECK_EQ_STR(d->proto, "UDP/DTLS/SCTP");
  CHECK_EQ_STR(d->fmt0, "webrtc-datachannel");
  CHECK_EQ_INT(d->n_codecs, 0);
  CHECK_EQ_INT(d->dir, SDP_SENDRECV);
  CHECK(!d->rtcp_mux);
  free(s);
}

static void test_parse_firefox_offer(void) {
  sdp_session *s = new_session();
  char err[128];
  CHECK_EQ_INT(parse(FIREFOX_OFFER, s, err, sizeof err), 0);
  CHECK_EQ_STR(s->ice_ufrag, "7f3a9c21");
  CHECK_EQ_STR(s->ice_pwd, "e4c5d8b4a7f0e2c19b3d6a5f8e7c1d20");
  CHECK_EQ_STR(s->fp_alg, "sha-256");
  CHECK_EQ_INT(s->fp_len, 32);
  CHECK_EQ_INT(s->fp[0], 0x9D);
  CHECK_EQ_INT(s->fp[31], 0x0D);
  CHECK_EQ_STR(s->setup, "actpass");
  CHECK_EQ_INT(s->n_bundle, 3);
  CHECK_EQ_INT(s->n_media, 3);

  const sdp_media *a = &s->media[0];
  CHECK_EQ_INT(a->kind, SDP_AUDIO);
  CHECK_EQ_STR(a->mid, "0");
  CHECK_EQ_INT(a->dir, SDP_SENDONLY);
  CHECK(a->rtcp_mux && !a->rtcp_rsize);
  CHECK_EQ_INT(a->n_codecs, 5);
  CHECK_EQ_INT(a->codecs[0].pt, 109);
  CHECK_EQ_STR(a->codecs[0].name, "opus");
  CHECK_EQ_INT(a->codecs[0].channels, 2);
  CHECK_EQ_STR(a->codecs[0].fmtp, "maxplaybackrate=48000;stereo=1;useinbandfec=1");
  CHECK_EQ_INT(codec(a, 9)->channels, 1);
  CHECK_EQ_STR(codec(a, 101)->fmtp, "0-15");
  CHECK_EQ_INT(a->n_exts, 3);
  CHECK_EQ_INT(ext(a, URI_LEVEL), 1);
  CHECK_EQ_INT(ext(a, "urn:ietf:params:rtp-hdrext:csrc-audio-level"), 2);
  CHECK_EQ_INT(ext(a, URI_MID), 3);
  CHECK_EQ_INT(a->n_ssrcs, 1);
  CHECK_EQ_INT(a->ssrcs[0], 1868395740u);
  CHECK_EQ_STR(a->msid_stream, "{5e0a1f2c-7b3d-4c8e-9a6f-0d1e2f3a4b5c}");
  CHECK_EQ_STR(a->msid_track, "{9b8c7d6e-5f4a-4b3c-8d2e-1f0a9b8c7d6e}");

  const sdp_media *v = &s->media[1];
  CHECK_EQ_INT(v->kind, SDP_VIDEO);
  CHECK_EQ_STR(v->mid, "1");
  CHECK(v->rtcp_mux && v->rtcp_rsize);
  CHECK_EQ_INT(v->n_codecs, 11);
  CHECK_EQ_INT(v->codecs[0].pt, 120);
  CHECK_EQ_STR(v->codecs[0].name, "VP8");
  CHECK_EQ_STR(v->codecs[0].fmtp, "max-fs=12288;max-fr=60");
  CHECK_EQ_INT(v->codecs[0].fb, ALL_FB);
  CHECK_EQ_INT(codec(v, 124)->apt, 120);
  CHECK_EQ_INT(codec(v, 119)->apt, 122);
  CHECK_EQ_STR(codec(v, 122)->name, "red");
  CHECK_EQ_STR(codec(v, 123)->name, "ulpfec");
  CHECK_EQ_INT(codec(v, 124)->fb, 0);
  CHECK_EQ_INT(v->n_exts, 5);
  CHECK_EQ_INT(ext(v, URI_MID), 3);
  CHECK_EQ_INT(ext(v, URI_AST), 4);
  CHECK_EQ_INT(ext(v, URI_TCC), 7);
  /* Firefox lists the SSRCs before their FID group */
  CHECK_EQ_INT(v->n_ssrcs, 1);
  CHECK_EQ_INT(v->ssrcs[0], 2281592841u);
  CHECK_EQ_INT(v->rtx_ssrc, 4063416232u);
  CHECK_EQ_STR(v->msid_track, "{2d4f6a8c-0e1b-4d3f-a5c7-e9f1b3d5a7c9}");

  CHECK_EQ_INT(s->media[2].kind, SDP_APPLICATION);
  CHECK_EQ_INT(s->media[2].dir, SDP_SENDRECV);
  free(s);
}

static void test_parse_chrome_answer(void) {
  sdp_session *s = new_session();
  char err[128];
  CHECK_EQ_INT(parse(CHROME_SUBSCRIBE_ANSWER, s, err, sizeof err), 0);
  CHECK_EQ_STR(s->ice_ufrag, "Qm2t");
  CHECK_EQ_STR(s->setup, "active");
  CHECK_EQ_INT(s->fp_len, 32);
  CHECK_EQ_INT(s->n_media, 3);
  CHECK_EQ_INT(s->media[0].dir, SDP_RECVONLY);
  CHECK_EQ_INT(s->media[1].dir, SDP_RECVONLY);
  CHECK_EQ_INT(s->media[2].dir, SDP_INACTIVE);
  CHECK_EQ_INT(s->media[1].codecs[0].fb, SDP_FB_NACK | SDP_FB_PLI | SDP_FB_FIR | SDP_FB_REMB);
  CHECK_EQ_INT(s->media[0].n_ssrcs, 0);
  CHECK_EQ_STR(s->media[0].msid_stream, "");
  free(s);
}

/* LF-only line ends, no final line end, and CRLF all give the same result. */
static void test_parse_line_ends(void) {
  size_t n = strlen(CHROME_OFFER);
  char *lf = malloc(n + 1);
  if (!lf) abort();
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (CHROME_OFFER[i] != '\r') lf[k++] = CHROME_OFFER[i];
  }
  sdp_session *a = new_session(), *b = new_session();
  CHECK_EQ_INT(sdp_parse(CHROME_OFFER, n, a, NULL, 0), 0);
  CHECK_EQ_INT(sdp_parse(lf, k, b, NULL, 0), 0);
  CHECK_EQ_INT(b->n_media, 3);
  CHECK(memcmp(a, b, sizeof *a) == 0);
  /* without the final line end: the last line still counts */
  CHECK_EQ_INT(sdp_parse(CHROME_OFFER, n - 2, b, NULL, 0), 0);
  CHECK_EQ_STR(b->media[2].mid, "2");
  CHECK_EQ_INT(sdp_parse(lf, k - 1, b, NULL, 0), 0);
  CHECK(memcmp(a, b, sizeof *a) == 0);
  free(lf);
  free(a);
  free(b);
}

/* Every prefix of every fixture parses or fails cleanly (sanitizers watch). */
static void test_parse_every_prefix(void) {
  const char *texts[] = {CHROME_OFFER, FIREFOX_OFFER, CHROME_SUBSCRIBE_ANSWER};
  sdp_session *s = new_session();
  char out[65536];
  for (size_t t = 0; t < 3; t++) {
    size_t n = strlen(texts[t]);
    for (size_t i = 0; i <= n; i++) {
      /* a copy of exactly i bytes, so reading past it would be caught */
      char *copy = malloc(i ? i : 1);
      if (!copy) abort();
      memcpy(copy, texts[t], i);
      if (sdp_parse(copy, i, s, NULL, 0) == 0)
        (void)sdp_build_publish_answer(s, &LOCAL, out, sizeof out, NULL, 0, NULL);
      free(copy);
    }
  }
  free(s);
}

/* ---- publish answer ---- */

static void check_common_answer(const sdp_session *r) {
  CHECK(r->ice_lite);
  CHECK_EQ_STR(r->ice_ufrag, "SfUl");
  CHECK_EQ_STR(r->ice_pwd, "Pw0123456789abcdefghijKL");
  CHECK_EQ_STR(r->setup, "passive");
  CHECK_EQ_STR(r->fp_alg, "sha-256");
  CHECK_EQ_INT(r->fp_len, 32);
  CHECK_EQ_INT(r->fp[0], 0xB7);
  CHECK_EQ_INT(r->fp[31], 0xC1);
}

static void test_publish_answer_chrome(void) {
  sdp_session *o = new_session(), *r = new_session();
  static char out[65536];
  char err[128], sec[4096];
  sdp_track t[8];
  int nt = -1;
  CHECK_EQ_INT(parse(CHROME_OFFER, o, err, sizeof err), 0);
  int len = sdp_build_publish_answer(o, &LOCAL, out, sizeof out, t, 8, &nt);
  CHECK(len > 0);
  CHECK_EQ_INT((int)strlen(out), len);
  CHECK_EQ_INT(nt, 3);
  CHECK_EQ_INT(parse(out, r, err, sizeof err), 0);
  check_common_answer(r);
  CHECK(strncmp(out, "v=0\r\no=- 1234567890123 2 IN IP4 192.0.2.10\r\ns=-\r\nt=0 0\r\n", 55) == 0);
  CHECK(strstr(out, "\r\na=group:BUNDLE 0 1\r\n") != NULL);
  CHECK(strstr(out, "\r\na=msid-semantic: WMS *\r\n") != NULL);
  /* Opus with in-band FEC and DTX: what the publisher's encoder then uses */
  CHECK(strstr(out, "\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1;usedtx=1\r\n") != NULL);
  CHECK_EQ_INT(r->n_bundle, 2);
  CHECK_EQ_INT(r->n_media, 3);

  const sdp_media *a = &r->media[0];
  CHECK_EQ_INT(a->kind, SDP_AUDIO);
  CHECK_EQ_STR(a->mid, "0");
  CHECK_EQ_INT(a->port, 9);
  CHECK_EQ_INT(a->dir, SDP_RECVONLY);
  CHECK(a->rtcp_mux && a->rtcp_rsize);
  CHECK_EQ_INT(a->n_codecs, 1);
  CHECK_EQ_INT(a->codecs[0].pt, 111);
  CHECK_EQ_STR(a->codecs[0].name, "opus");
  CHECK_EQ_INT(a->codecs[0].clock, 48000);
  CHECK_EQ_INT(a->codecs[0].channels, 2);
  CHECK_EQ_STR(a->codecs[0].fmtp, "minptime=10;useinbandfec=1;usedtx=1");
  CHECK_EQ_INT(a->codecs[0].fb, SDP_FB_TCC);
  CHECK_EQ_INT(a->n_exts, 4);
  CHECK_EQ_INT(ext(a, URI_LEVEL), 1);
  CHECK_EQ_INT(ext(a, URI_AST), 2);
  CHECK_EQ_INT(ext(a, URI_MID), 4);
  CHECK_EQ_INT(ext(a, URI_TCC), 3);
  section(out, 0, sec, sizeof sec);
  CHECK(strstr(sec, "c=IN IP4 192.0.2.10\r\n") != NULL);
  CHECK(strstr(sec, "a=candidate:1 1 udp 2130706431 192.0.2.10 40000 typ host\r\n"
                    "a=end-of-candidates\r\n") != NULL);

  const sdp_media *v = &r->media[1];
  CHECK_EQ_INT(v->kind, SDP_VIDEO);
  CHECK_EQ_INT(v->dir, SDP_RECVONLY);
  CHECK_EQ_INT(v->n_codecs, 1);
  CHECK_EQ_INT(v->codecs[0].pt, 96);
  CHECK_EQ_STR(v->codecs[0].name, "VP8");
  CHECK_EQ_INT(v->codecs[0].fb, SDP_FB_NACK | SDP_FB_PLI | SDP_FB_FIR | SDP_FB_REMB | SDP_FB_TCC);
  CHECK_EQ_INT(v->n_exts, 3);
  CHECK_EQ_INT(ext(v, URI_AST), 2);
  CHECK_EQ_INT(ext(v, URI_TCC), 3);
  CHECK_EQ_INT(ext(v, URI_MID), 4);
  section(out, 1, sec, sizeof sec);
  CHECK_EQ_INT(count(sec, "a=candidate:"), 1);
  CHECK_EQ_INT(count(sec, "a=setup:passive"), 1);

  const sdp_media *d = &r->media[2];
  CHECK_EQ_INT(d->kind, SDP_APPLICATION);
  CHECK_EQ_INT(d->port, 0);
  CHECK_EQ_STR(d->mid, "2");
  section(out, 2, sec, sizeof sec);
  CHECK(strncmp(sec, "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n", 50) == 0);
  CHECK_EQ_INT(count(sec, "a=candidate"), 0);

  /* transport-wide CC on both (the SFU sends the feedback), nothing the SFU
   * does not do */
  CHECK_EQ_INT(count(out, "a=rtcp-fb:111 transport-cc\r\n"), 1);
  CHECK_EQ_INT(count(out, "a=rtcp-fb:96 transport-cc\r\n"), 1);
  CHECK_EQ_INT(count(out, "a=extmap:3 " URI_TCC "\r\n"), 2);
  CHECK_EQ_INT(count(out, "rtx"), 0);
  CHECK_EQ_INT(count(out, "a=rtcp-fb:111"), 1);
  CHECK_EQ_INT(count(out, "H264"), 0);
  CHECK_EQ_INT(count(out, "a=ssrc"), 0);
  CHECK_EQ_INT(count(out, "\n"), count(out, "\r\n"));

  CHECK_EQ_INT(t[0].index, 0);
  CHECK(t[0].accepted);
  CHECK_EQ_INT(t[0].kind, SDP_AUDIO);
  CHECK_EQ_STR(t[0].mid, "0");
  CHECK_EQ_INT(t[0].pt, 111);
  CHECK_EQ_STR(t[0].codec, "opus");
  CHECK_EQ_INT(t[0].ext_audio_level, 1);
  CHECK_EQ_INT(t[0].ext_abs_send_time, 2);
  CHECK_EQ_INT(t[0].ext_mid, 4);
  CHECK_EQ_INT(t[0].ext_twcc, 3);
  CHECK_EQ_INT(t[0].fb, SDP_FB_TCC);
  CHECK_EQ_INT(t[0].ssrc, 3523440517u);
  CHECK_EQ_INT(t[0].rtx_ssrc, 0);
  CHECK_EQ_INT(t[0].dir, SDP_RECVONLY);
  CHECK(t[1].accepted);
  CHECK_EQ_INT(t[1].pt, 96);
  CHECK_EQ_STR(t[1].codec, "VP8");
  CHECK_EQ_INT(t[1].ext_audio_level, 0);
  CHECK_EQ_INT(t[1].ext_mid, 4);
  CHECK_EQ_INT(t[1].ssrc, 2946208452u);
  CHECK_EQ_INT(t[1].ext_twcc, 3);
  CHECK_EQ_INT(t[1].fb, SDP_FB_NACK | SDP_FB_PLI | SDP_FB_FIR | SDP_FB_REMB | SDP_FB_TCC);
  CHECK(!t[2].accepted);
  CHECK_EQ_INT(t[2].index, 2);
  CHECK_EQ_INT(t[2].kind, SDP_APPLICATION);
  CHECK_EQ_STR(t[2].mid, "2");
  CHECK_EQ_STR(t[2].codec, "");
  CHECK_EQ_INT(t[2].dir, SDP_INACTIVE);
  free(o);
  free(r);
}

/* Simulcast (RFC 8853, RID-based as Chrome and Firefox offer it): the
 * answer receives the a=simulcast send list's encodings that have a=rid send
 * lines, lowest first, with the rtp-stream-id extension; the track then has
 * no SSRC of its own (the SFU learns the encodings'). */
#define SIMULCAST_LINES "a=rid:q send\r\na=rid:h send\r\na=rid:f send\r\na=simulcast:send q;h;f\r\n"
#define BEFORE_DATA "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"

static int simulcast_answer(const char *lines, char *out, size_t cap, sdp_track t[8]) {
  char with[1024];
  snprintf(with, sizeof with, "%s" BEFORE_DATA, lines);
  char *offer = replace(CHROME_OFFER, BEFORE_DATA, with);
  sdp_session *o = new_session();
  char err[128];
  int nt = -1, len = -1;
  if (offer && parse(offer, o, err, sizeof err) == 0) len = sdp_build_publish_answer(o, &LOCAL, out, cap, t, 8, &nt);
  free(offer);
  free(o);
  return len > 0 ? nt : -1;
}

static void test_publish_answer_simulcast(void) {
  static char out[65536];
  sdp_track t[8];
  sdp_session *o = new_session(), *r = new_session();
  char err[128];
  char *offer = replace(CHROME_OFFER, BEFORE_DATA, SIMULCAST_LINES BEFORE_DATA);
  CHECK(offer != NULL);
  CHECK_EQ_INT(parse(offer, o, err, sizeof err), 0);
  CHECK_EQ_INT(o->media[1].n_rids, 3);
  CHECK_EQ_INT(o->media[1].n_simulcast, 3);
  CHECK_EQ_STR(o->media[1].simulcast[0], "q");
  CHECK_EQ_STR(o->media[1].simulcast[2], "f");
  CHECK_EQ_INT(simulcast_answer(SIMULCAST_LINES, out, sizeof out, t), 3);
  CHECK_EQ_INT(t[1].n_layers, 3);
  CHECK_EQ_STR(t[1].rids[0], "q");
  CHECK_EQ_STR(t[1].rids[1], "h");
  CHECK_EQ_STR(t[1].rids[2], "f");
  CHECK_EQ_INT(t[1].ext_rid, 10);
  CHECK_EQ_INT(t[1].ssrc, 0);
  CHECK_EQ_INT(t[0].n_layers, 0); /* audio */
  CHECK(strstr(out, "\r\na=extmap:10 " URI_RID "\r\n") != NULL);
  CHECK(strstr(out, "\r\na=rid:q recv\r\na=rid:h recv\r\na=rid:f recv\r\na=simulcast:recv q;h;f\r\n") != NULL);
  CHECK_EQ_INT(parse(out, r, err, sizeof err), 0); /* the answer is valid SDP */
  CHECK_EQ_INT(r->media[1].n_rids, 0);             /* recv rids are not send rids */

  /* Alternatives and paused entries: the first of each, without "~". */
  CHECK_EQ_INT(simulcast_answer("a=rid:q send\r\na=rid:h send\r\na=rid:f send\r\na=simulcast:send ~q;h,x;f recv z\r\n",
                                out, sizeof out, t), 3);
  CHECK_EQ_INT(t[1].n_layers, 3);
  CHECK_EQ_STR(t[1].rids[0], "q");
  /* An entry without an a=rid send line is left out; one left: no simulcast. */
  CHECK_EQ_INT(simulcast_answer("a=rid:q send\r\na=rid:f send\r\na=simulcast:send q;h;f\r\n", out, sizeof out, t), 3);
  CHECK_EQ_INT(t[1].n_layers, 2);
  CHECK_EQ_STR(t[1].rids[1], "f");
  CHECK_EQ_INT(simulcast_answer("a=rid:q send\r\na=simulcast:send q;h\r\n", out, sizeof out, t), 3);
  CHECK_EQ_INT(t[1].n_layers, 0);
  CHECK(t[1].ssrc != 0);
  CHECK(strstr(out, "a=simulcast") == NULL && strstr(out, "a=rid") == NULL);
  /* More than three: the first three. */
  CHECK_EQ_INT(simulcast_answer("a=rid:a send\r\na=rid:b send\r\na=rid:c send\r\na=rid:d send\r\na=simulcast:send a;b;c;d\r\n",
                                out, sizeof out, t), 3);
  CHECK_EQ_INT(t[1].n_layers, 3);
  CHECK_EQ_STR(t[1].rids[2], "c");
  /* Without the rtp-stream-id extension the SFU could not tell the encodings apart. */
  char *norid = replace(offer, "a=extmap:10 " URI_RID "\r\n", "");
  CHECK(norid != NULL);
  CHECK_EQ_INT(parse(norid, o, err, sizeof err), 0);
  int nt = 0;
  CHECK(sdp_build_publish_answer(o, &LOCAL, out, sizeof out, t, 8, &nt) > 0);
  CHECK_EQ_INT(t[1].n_layers, 0);
  CHECK(strstr(out, "a=simulcast") == NULL);
  free(norid);
  /* Malformed lines are refused, not guessed at. */
  static const char *const bad[] = {"a=rid:q! send\r\n", "a=rid:q sideways\r\n", "a=rid:q\r\n", "a=rid:q send\r\na=rid:q send\r\n",
                                    "a=simulcast:send q;;f\r\n", "a=simulcast:sendx q\r\n", "a=simulcast:send\r\n",
                                    "a=simulcast:send q;~\r\n"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) CHECK_EQ_INT(simulcast_answer(bad[i], out, sizeof out, t), -1);
  /* A rid longer than 16 characters is not ours: ignored, not an error. */
  CHECK_EQ_INT(simulcast_answer("a=rid:abcdefghijklmnopq send\r\na=rid:h send\r\na=simulcast:send abcdefghijklmnopq;h\r\n",
                                out, sizeof out, t), 3);
  CHECK_EQ_INT(t[1].n_layers, 0);
  free(offer);
  free(o);
  free(r);
}

static void test_publish_answer_firefox(void) {
  sdp_session *o = new_session(), *r = new_session();
  static char out[65536];
  char err[128];
  sdp_track t[3];
  int nt = 0;
  CHECK_EQ_INT(parse(FIREFOX_OFFER, o, err, sizeof err), 0);
  CHECK(sdp_build_publish_answer(o, &LOCAL, out, sizeof out, t, 3, &nt) > 0);
  CHECK_EQ_INT(nt, 3);
  CHECK_EQ_INT(parse(out, r, err, sizeof err), 0);
  check_common_answer(r);
  CHECK_EQ_INT(r->n_bundle, 2);
  CHECK_EQ_INT(r->media[0].codecs[0].pt, 109);
  CHECK_EQ_INT(r->media[0].dir, SDP_RECVONLY);
  CHECK(!r->media[0].rtcp_rsize); /* not offered on audio */
  CHECK_EQ_INT(r->media[0].n_exts, 2);
  CHECK_EQ_INT(ext(&r->media[0], URI_LEVEL), 1);
  CHECK_EQ_INT(ext(&r->media[0], URI_MID), 3);
  CHECK_EQ_INT(r->media[1].codecs[0].pt, 120);
  CHECK_EQ_STR(r->media[1].codecs[0].name, "VP8");
  CHECK(r->media[1].rtcp_rsize);
  CHECK_EQ_INT(ext(&r->media[1], URI_AST), 4);
  CHECK_EQ_INT(ext(&r->media[1], URI_MID), 3);
  CHECK_EQ_INT(r->media[2].port, 0);
  CHECK_EQ_INT(t[0].pt, 109);
  CHECK_EQ_INT(t[0].ssrc, 1868395740u);
  CHECK_EQ_INT(t[1].pt, 120);
  CHECK_EQ_INT(t[1].ext_abs_send_time, 4);
  CHECK_EQ_INT(t[1].ext_mid, 3);
  CHECK_EQ_INT(t[1].ext_twcc, 7); /* Firefox offers transport-wide CC on video only */
  CHECK_EQ_INT(t[0].ext_twcc, 0);
  CHECK_EQ_INT(ext(&r->media[1], URI_TCC), 7);
  CHECK_EQ_INT(r->media[1].codecs[0].fb & SDP_FB_TCC, SDP_FB_TCC);
  CHECK_EQ_INT(t[1].ssrc, 2281592841u);
  CHECK(!t[2].accepted);
  free(o);
  free(r);
}

/* Firefox with bundlePolicy max-bundle: port 0 plus a=bundle-only. */
static void test_publish_answer_bundle_only(void) {
  char *offer = replace(FIREFOX_OFFER, "m=video 9 ", "m=video 0 ");
  char *offer2 = replace(offer, "a=mid:1\r\n", "a=mid:1\r\na=bundle-only\r\n");
  sdp_session *o = new_session(), *r = new_session();
  static char out[65536];
  sdp_track t[3];
  CHECK_EQ_INT(parse(offer2, o, NULL, 0), 0);
  CHECK(o->media[1].bundle_only);
  CHECK(sdp_build_publish_answer(o, &LOCAL, out, sizeof out, t, 3, NULL) > 0);
  CHECK(t[1].accepted);
  CHECK_EQ_INT(parse(out, r, NULL, 0), 0);
  CHECK_EQ_INT(r->media[1].port, 9);
  /* port 0 without bundle-only: the browser stopped the transceiver */
  CHECK_EQ_INT(parse(offer, o, NULL, 0), 0);
  CHECK(sdp_build_publish_answer(o, &LOCAL, out, sizeof out, t, 3, NULL) > 0);
  CHECK(!t[1].accepted);
  CHECK_EQ_INT(parse(out, r, NULL, 0), 0);
  CHECK_EQ_INT(r->media[1].port, 0);
  CHECK_EQ_STR(r->media[1].mid, "1");
  CHECK_EQ_INT(r->n_bundle, 1);
  free(offer);
  free(offer2);
  free(o);
  free(r);
}

static void test_publish_answer_ipv6(void) {
  sdp_session *o = new_session(), *r = new_session();
  static char out[65536];
  CHECK_EQ_INT(parse(CHROME_OFFER, o, NULL, 0), 0);
  CHECK(sdp_build_publish_answer(o, &LOCAL6, out, sizeof out, NULL, 0, NULL) > 0);
  CHECK(strstr(out, "o=- 1 1 IN IP6 2001:db8::1\r\n") != NULL);
  CHECK_EQ_INT(count(out, "c=IN IP6 2001:db8::1\r\n"), 3);
  CHECK_EQ_INT(count(out, "IP4"), 0);
  CHECK_EQ_INT(count(out, "a=candidate:1 1 udp 2130706431 2001:db8::1 40000 typ host\r\n"), 2);
  CHECK_EQ_INT(parse(out, r, NULL, 0), 0);
  free(o);
  free(r);
}

/* Directions, codecs and transports the answer has to refuse or adapt. */
static void test_publish_answer_choices(void) {
  sdp_session *o = new_session(), *r = new_session();
  static char out[65536];
  sdp_track t[3];
  /* recvonly offered -> inactive, still accepted and bundled */
  char *x = replace(CHROME_OFFER, "a=sendonly", "a=recvonly");
  CHECK_EQ_INT(parse(x, o, NULL, 0), 0);
  CHECK(sdp_build_publish_answer(o, &LOCAL, out, sizeof out, t, 3, NULL) > 0);
  CHECK(t[0].accepted);
  CHECK_EQ_INT(t[0].dir, SDP_INACTIVE);
  CHECK_EQ_INT(parse(out, r, NULL, 0), 0);
  CHECK_EQ_INT(r->media[0].dir, SDP_INACTIVE);
  CHECK_EQ_INT(r->media[1].dir, SDP_RECVONLY);
  free(x);
  /* sendrecv -> recvonly */
  x = replace(CHROME_OFFER, "a=sendonly", "a=sendrecv");
  CHECK_EQ_INT(parse(x, o, NULL, 0), 0);
  CHECK(sdp_build_publish_answer(o, &LOCAL, out, sizeof out, t, 3, NULL) > 0);
  CHECK_EQ_INT(t[0].dir, SDP_RECVONLY);
  free(x);
  /* audio without opus: that m-line rejected, video still accepted */
  x = replace(CHROME_OFFER, "a=rtpmap:111 opus/48000/2", "a=rtpmap:111 ISAC/16000");
  CHECK_EQ_INT(parse(x, o, NULL, 0), 0);
  CHECK(sdp_build_publish_answer(o, &LOCAL, out, sizeof out, t, 3, NULL) > 0);
  CHECK(!t[0].accepted && t[1].accepted);
  CHECK(strstr(out, "a=group:BUNDLE 1\r\nm=") == NULL);
  CHECK(strstr(out, "a=group:BUNDLE 1\r\n") != NULL);
  CHECK(strstr(out, "m=audio 0 UDP/TLS/RTP/SAVPF 111\r\n") != NULL);
  free(x);
  /* opus mono is not opus/48000/2 */
  x = replace(CHROME_OFFER, "a=rtpmap:111 opus/48000/2", "a=rtpmap:111 opus/48000");
  CHECK_EQ_INT(parse(x, o, NULL, 0), 0);
  CHECK(sdp_build_publish_answer(o, &LOCAL, out, sizeof out, t, 3, NULL) > 0);
  CHECK(!t[0].accepted);
  free(x);
  /* the first VP8 is chosen, whatever its number; case-insensitive names */
  x = replace(CHROME_OFFER, "a=rtpmap:98 VP9/90000", "a=rtpmap:98 vp8/90000");
  char *y = replace(x, "a=rtpmap:96 VP8/90000", "a=rtpmap:96 VP7/90000");
  CHECK_EQ_INT(parse(y, o, NULL, 0), 0);
  CHECK(sdp_build_publish_answer(o, &LOCAL, out, sizeof out, t, 3, NULL) > 0);
  CHECK_EQ_INT(t[1].pt, 98);
  free(x);
  free(y);
  /* no rtcp-mux on video: rejected */
  x = replace(FIREFOX_OFFER, "a=rtcp-mux\r\na=rtcp-rsize", "a=rtcp-rsize");
  CHECK_EQ_INT(parse(x, o, NULL, 0), 0);
  CHECK(sdp_build_publish_answer(o, &LOCAL, out, sizeof out, t, 3, NULL) > 0);
  CHECK(t[0].accepted && !t[1].accepted);
  free(x);
  /* an m-line outside the offer's BUNDLE group is rejected */
  x = replace(CHROME_OFFER, "a=group:BUNDLE 0 1 2", "a=group:BUNDLE 1 2");
  CHECK_EQ_INT(parse(x, o, NULL, 0), 0);
  CHECK(sdp_build_publish_answer(o, &LOCAL, out, sizeof out, t, 3, NULL) > 0);
  CHECK(!t[0].accepted && t[1].accepted);
  free(x);
  /* answer's group follows the offer's group order */
  x = replace(CHROME_OFFER, "a=group:BUNDLE 0 1 2", "a=group:BUNDLE 1 0 2");
  CHECK_EQ_INT(parse(x, o, NULL, 0), 0);
  CHECK(sdp_build_publish_answer(o, &LOCAL, out, sizeof out, t, 3, NULL) > 0);
  CHECK(strstr(out, "a=group:BUNDLE 1 0\r\n") != NULL);
  free(x);
  /* no BUNDLE group: one m-line only, and no group line */
  x = replace(CHROME_OFFER, "a=group:BUNDLE 0 1 2\r\n", "");
  CHECK_EQ_INT(parse(x, o, NULL, 0), 0);
  CHECK(sdp_build_publish_answer(o, &LOCAL, out, sizeof out, t, 3, NULL) > 0);
  CHECK(t[0].accepted && !t[1].accepted && !t[2].accepted);
  CHECK_EQ_INT(count(out, "a=group"), 0);
  free(x);
  /* extmap ids above 14 are not accepted (one-byte header form only) */
  x = replace(CHROME_OFFER, "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
              "a=extmap:15 urn:ietf:params:rtp-hdrext:sdes:mid");
  CHECK_EQ_INT(parse(x, o, NULL, 0), 0);
  CHECK(sdp_build_publish_answer(o, &LOCAL, out, sizeof out, t, 3, NULL) > 0);
  CHECK_EQ_INT(t[0].ext_mid, 0);
  CHECK_EQ_INT(t[1].ext_mid, 4);
  free(x);
  /* only the offered feedback is answered */
  x = replace(FIREFOX_OFFER, "a=rtcp-fb:120 goog-remb\r\n", "");
  y = replace(x, "a=rtcp-fb:120 ccm fir\r\n", "");
  CHECK_EQ_INT(parse(y, o, NULL, 0), 0);
  CHECK(sdp_build_publish_answer(o, &LOCAL, out, sizeof out, t, 3, NULL) > 0);
  CHECK_EQ_INT(t[1].fb, SDP_FB_NACK | SDP_FB_PLI | SDP_FB_TCC);
  CHECK_EQ_INT(count(out, "goog-remb"), 0);
  CHECK_EQ_INT(count(out, "ccm fir"), 0);
  free(x);
  free(y);
  /* transport-wide CC needs both the extmap and the feedback: with one
   * alone, neither is answered */
  x = replace(CHROME_OFFER, "a=extmap:3 " URI_TCC "\r\n", ""); /* audio's */
  y = replace(x, "a=extmap:3 " URI_TCC "\r\n", "");            /* video's */
  free(x);
  x = y;
  CHECK_EQ_INT(parse(x, o, NULL, 0), 0);
  CHECK(sdp_build_publish_answer(o, &LOCAL, out, sizeof out, t, 3, NULL) > 0);
  CHECK_EQ_INT(t[0].ext_twcc, 0);
  CHECK_EQ_INT(t[1].ext_twcc, 0);
  CHECK_EQ_INT(t[1].fb, SDP_FB_NACK | SDP_FB_PLI | SDP_FB_FIR | SDP_FB_REMB);
  CHECK_EQ_INT(count(out, "transport-cc"), 0);
  CHECK_EQ_INT(count(out, URI_TCC), 0);
  free(x);
  x = replace(FIREFOX_OFFER, "a=rtcp-fb:120 transport-cc\r\n", "");
  CHECK_EQ_INT(parse(x, o, NULL, 0), 0);
  CHECK(sdp_build_publish_answer(o, &LOCAL, out, sizeof out, t, 3, NULL) > 0);
  CHECK_EQ_INT(t[1].ext_twcc, 0);
  CHECK_EQ_INT(count(out, URI_TCC), 0);
  free(x);
  free(o);
  free(r);
}

/* Offers the SFU cannot answer at all, and bad arguments. */
static void test_publish_answer_unusable(void) {
  sdp_session *o = new_session();
  static char out[65536];
  sdp_track t[3];
  int nt;
  struct {
    const char *from, *to;
  } edits[] = {
      {"a=setup:actpass", "a=setup:passive"},
      {"a=setup:actpass", "a=setup:holdconn"},
      {"a=fingerprint:sha-256 9D", "a=fingerprint:SHA-1 9D:32:86:D6:82:99:31:ED:50:61:B6:1D:5D:"
                                   "F2:F6:C7:71:81:EE:77 x\r\na=x:9D"},
      {"m=audio 9 UDP/TLS/RTP/SAVPF 109 9 0 8 101", "m=audio 9 RTP/AVP 0"},
  };
  for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
    char *x = replace(FIREFOX_OFFER, edits[i].from, edits[i].to);
    CHECK_EQ_INT(parse(x, o, NULL, 0), 0);
    if (i == 3) { /* video still usable */
      CHECK(sdp_build_publish_answer(o, &LOCAL, out, sizeof out, t, 3, NULL) > 0);
      CHECK(!t[0].accepted);
    } else {
      CHECK_EQ_INT(sdp_build_publish_answer(o, &LOCAL, out, sizeof out, t, 3, NULL), -1);
    }
    free(x);
  }
  /* no fingerprint, no ICE credentials, no setup */
  const char *base = "v=0\r\na=group:BUNDLE a\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
                     "a=mid:a\r\na=rtcp-mux\r\na=sendonly\r\na=rtpmap:111 opus/48000/2\r\n";
  const char *ice = "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\n";
  const char *fp = "a=fingerprint:sha-256 " SERVER_FP "\r\n";
  char buf[2048];
  snprintf(buf, sizeof buf, "%s%s%sa=setup:actpass\r\n", base, ice, fp);
  CHECK_EQ_INT(parse(buf, o, NULL, 0), 0);
  CHECK(sdp_build_publish_answer(o, &LOCAL, out, sizeof out, t, 3, &nt) > 0);
  CHECK_EQ_INT(nt, 1);
  snprintf(buf, sizeof buf, "%s%sa=setup:active\r\n", base, ice);
  CHECK_EQ_INT(parse(buf, o, NULL, 0), 0);
  CHECK_EQ_INT(sdp_build_publish_answer(o, &LOCAL, out, sizeof out, t, 3, NULL), -1);
  snprintf(buf, sizeof buf, "%s%sa=setup:active\r\n", base, fp);
  CHECK_EQ_INT(parse(buf, o, NULL, 0), 0);
  CHECK_EQ_INT(sdp_build_publish_answer(o, &LOCAL, out, sizeof out, t, 3, NULL), -1);
  snprintf(buf, sizeof buf, "%s%s%s", base, ice, fp);
  CHECK_EQ_INT(parse(buf, o, NULL, 0), 0);
  CHECK_EQ_INT(sdp_build_publish_answer(o, &LOCAL, out, sizeof out, t, 3, NULL), -1);
  /* only a data channel */
  snprintf(buf, sizeof buf,
           "v=0\r\na=group:BUNDLE 0\r\n%s%sa=setup:actpass\r\n"
           "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:0\r\n",
           ice, fp);
  CHECK_EQ_INT(parse(buf, o, NULL, 0), 0);
  CHECK_EQ_INT(sdp_build_publish_answer(o, &LOCAL, out, sizeof out, t, 3, &nt), -1);
  CHECK_EQ_INT(nt, 1);
  CHECK(!t[0].accepted);

  /* bad local side or arguments */
  CHECK_EQ_INT(parse(CHROME_OFFER, o, NULL, 0), 0);
  sdp_local l = LOCAL;
  CHECK_EQ_INT(sdp_build_publish_answer(o, &l, out, sizeof out, t, 2, NULL), -1); /* 3 m-lines */
  CHECK_EQ_INT(sdp_build_publish_answer(o, NULL, out, sizeof out, NULL, 0, NULL), -1);
  CHECK_EQ_INT(sdp_build_publish_answer(NULL, &l, out, sizeof out, NULL, 0, NULL), -1);
  CHECK_EQ_INT(sdp_build_publish_answer(o, &l, NULL, 100, NULL, 0, NULL), -1);
  l.ip = "192.0.2.10\r\na=evil";
  CHECK_EQ_INT(sdp_build_publish_answer(o, &l, out, sizeof out, NULL, 0, NULL), -1);
  l = LOCAL;
  l.ip = "localhost";
  CHECK_EQ_INT(sdp_build_publish_answer(o, &l, out, sizeof out, NULL, 0, NULL), -1);
  l = LOCAL;
  l.port = 0;
  CHECK_EQ_INT(sdp_build_publish_answer(o, &l, out, sizeof out, NULL, 0, NULL), -1);
  l = LOCAL;
  l.ice_pwd = "short";
  CHECK_EQ_INT(sdp_build_publish_answer(o, &l, out, sizeof out, NULL, 0, NULL), -1);
  l = LOCAL;
  l.ice_ufrag = "ab d";
  CHECK_EQ_INT(sdp_build_publish_answer(o, &l, out, sizeof out, NULL, 0, NULL), -1);
  l = LOCAL;
  l.fingerprint = "AB:CD";
  CHECK_EQ_INT(sdp_build_publish_answer(o, &l, out, sizeof out, NULL, 0, NULL), -1);
  l = LOCAL;
  l.fingerprint = NULL;
  CHECK_EQ_INT(sdp_build_publish_answer(o, &l, out, sizeof out, NULL, 0, NULL), -1);
  /* a lower-case server fingerprint is written in canonical upper case */
  l = LOCAL;
  l.fingerprint = "b7:00:3e:1b:be:f0:ac:aa:f5:43:5f:ca:62:0c:e4:8d:b9:ea:a0:90:2a:44:48:4e:a1:"
                  "d3:ed:6d:cc:b1:a9:c1";
  CHECK(sdp_build_publish_answer(o, &l, out, sizeof out, NULL, 0, NULL) > 0);
  CHECK_EQ_INT(count(out, SERVER_FP), 2);
  free(o);
}

/* Every capacity below the needed one fails without writing past it. */
static void test_publish_answer_capacity(void) {
  sdp_session *o = new_session();
  static char full[65536];
  CHECK_EQ_INT(parse(CHROME_OFFER, o, NULL, 0), 0);
  int need = sdp_build_publish_answer(o, &LOCAL, full, sizeof full, NULL, 0, NULL);
  CHECK(need > 0);
  for (int cap = 0; cap <= need + 1; cap++) {
    char *buf = malloc((size_t)cap + 1);
    if (!buf) abort();
    int rc = sdp_build_publish_answer(o, &LOCAL, cap ? buf : NULL, (size_t)cap, NULL, 0, NULL);
    if (cap <= need) {
      CHECK_EQ_INT(rc, -1);
      if (cap > 0) CHECK_EQ_INT(buf[0], '\0');
    } else {
      CHECK_EQ_INT(rc, need);
      CHECK(memcmp(buf, full, (size_t)need + 1) == 0);
    }
    free(buf);
  }
  free(o);
}

/* ---- subscribe offer ---- */

static sdp_sub_line sub_line(sdp_kind kind, int i, bool active) {
  sdp_sub_line l;
  memset(&l, 0, sizeof l);
  l.kind = kind;
  snprintf(l.mid, sizeof l.mid, "%d", i);
  l.active = active;
  l.ssrc = 0x10000000u + (uint32_t)i;
  snprintf(l.stream_id, sizeof l.stream_id, "0db5279e-d552-49c7-973a-4a1ac0bd3a%02d", i % 100);
  snprintf(l.track_id, sizeof l.track_id, "%s-%d", kind == SDP_AUDIO ? "audio" : "video", i);
  return l;
}

static void test_subscribe_offer_none(void) {
  char out[4096];
  sdp_sub_line l = sub_line(SDP_AUDIO, 0, true);
  CHECK_EQ_INT(sdp_build_subscribe_offer(&l, 0, &LOCAL, out, sizeof out), -1);
  CHECK_EQ_INT(sdp_build_subscribe_offer(NULL, 1, &LOCAL, out, sizeof out), -1);
  CHECK_EQ_INT(sdp_build_subscribe_offer(&l, -1, &LOCAL, out, sizeof out), -1);
  CHECK_EQ_INT(sdp_build_subscribe_offer(&l, 1, NULL, out, sizeof out), -1);
}

static void test_subscribe_offer_one(void) {
  static char out[8192];
  char err[128];
  sdp_session *r = new_session();
  sdp_sub_line l = sub_line(SDP_AUDIO, 0, true);
  int len = sdp_build_subscribe_offer(&l, 1, &LOCAL, out, sizeof out);
  CHECK(len > 0 && (size_t)len < SDP_OUT_CAP(1));
  CHECK_EQ_INT(parse(out, r, err, sizeof err), 0);
  CHECK(r->ice_lite);
  CHECK_EQ_STR(r->setup, "actpass");
  CHECK_EQ_STR(r->ice_ufrag, "SfUl");
  CHECK_EQ_INT(r->fp_len, 32);
  CHECK_EQ_INT(r->n_bundle, 1);
  CHECK_EQ_STR(r->bundle[0], "0");
  CHECK_EQ_INT(r->n_media, 1);
  const sdp_media *m = &r->media[0];
  CHECK_EQ_INT(m->kind, SDP_AUDIO);
  CHECK_EQ_INT(m->port, 9);
  CHECK_EQ_INT(m->dir, SDP_SENDONLY);
  CHECK(m->rtcp_mux && m->rtcp_rsize);
  CHECK_EQ_INT(m->n_codecs, 1);
  CHECK_EQ_INT(m->codecs[0].pt, SDP_SUB_PT_OPUS);
  CHECK_EQ_STR(m->codecs[0].name, "opus");
  CHECK_EQ_INT(m->codecs[0].channels, 2);
  CHECK_EQ_INT(m->codecs[0].fb, 0);
  CHECK_EQ_INT(m->n_exts, 1);
  CHECK_EQ_INT(ext(m, URI_LEVEL), SDP_SUB_EXT_AUDIO_LEVEL);
  CHECK_EQ_INT(m->n_ssrcs, 1);
  CHECK_EQ_INT(m->ssrcs[0], 0x10000000u);
  CHECK_EQ_STR(m->msid_stream, l.stream_id);
  CHECK_EQ_STR(m->msid_track, "audio-0");
  CHECK(strstr(out, "a=ssrc:268435456 cname:0db5279e-d552-49c7-973a-4a1ac0bd3a00\r\n") != NULL);
  CHECK(strstr(out, "a=ssrc:268435456 msid:0db5279e-d552-49c7-973a-4a1ac0bd3a00 audio-0\r\n"));
  CHECK(strstr(out, "a=candidate:1 1 udp 2130706431 192.0.2.10 40000 typ host\r\n"));
  CHECK(strstr(out, "a=msid-semantic: WMS *\r\n"));
  CHECK(strstr(out, "\r\na=fmtp:111 minptime=10;useinbandfec=1;usedtx=1\r\n"));
  free(r);
}

/* ICE-TCP: a passive TCP candidate beside the UDP one (below it in
 * priority), or alone when UDP is not offered; the SDP stays parseable. */
static void test_candidates_tcp(void) {
  static char out[16384];
  sdp_session *r = new_session();
  sdp_sub_line l = sub_line(SDP_VIDEO, 0, true);
  sdp_local both = LOCAL, tcp_only = LOCAL;
  both.candidates = SDP_CAND_UDP | SDP_CAND_TCP;
  tcp_only.candidates = SDP_CAND_TCP;
  CHECK(sdp_build_subscribe_offer(&l, 1, &both, out, sizeof out) > 0);
  CHECK_EQ_INT(parse(out, r, NULL, 0), 0);
  const char *udp = strstr(out, "a=candidate:1 1 udp 2130706431 192.0.2.10 40000 typ host\r\n");
  const char *tcp = strstr(out, "a=candidate:2 1 tcp 2124414975 192.0.2.10 40000 typ host tcptype passive\r\n");
  CHECK(udp && tcp && udp < tcp);
  CHECK(strstr(tcp, "a=end-of-candidates\r\n") != NULL);
  CHECK(sdp_build_subscribe_offer(&l, 1, &tcp_only, out, sizeof out) > 0);
  CHECK_EQ_INT(parse(out, r, NULL, 0), 0);
  CHECK(strstr(out, " udp ") == NULL);
  CHECK(strstr(out, "a=candidate:2 1 tcp 2124414975 192.0.2.10 40000 typ host tcptype passive\r\n"));
  free(r);
}

static void test_subscribe_offer_three_and_reuse(void) {
  static char out[16384];
  char sec[4096];
  sdp_session *r = new_session();
  sdp_sub_line l[3] = {sub_line(SDP_AUDIO, 0, true), sub_line(SDP_VIDEO, 1, true),
                       sub_line(SDP_AUDIO, 2, true)};
  CHECK(sdp_build_subscribe_offer(l, 3, &LOCAL, out, sizeof out) > 0);
  CHECK_EQ_INT(parse(out, r, NULL, 0), 0);
  CHECK_EQ_INT(r->n_media, 3);
  CHECK_EQ_INT(r->n_bundle, 3);
  CHECK(strstr(out, "a=group:BUNDLE 0 1 2\r\n") != NULL);
  const sdp_media *v = &r->media[1];
  CHECK_EQ_INT(v->kind, SDP_VIDEO);
  CHECK_EQ_INT(v->n_codecs, 1);
  CHECK_EQ_INT(v->codecs[0].pt, SDP_SUB_PT_VP8);
  CHECK_EQ_STR(v->codecs[0].name, "VP8");
  CHECK_EQ_INT(v->codecs[0].fb, SDP_FB_NACK | SDP_FB_PLI | SDP_FB_FIR | SDP_FB_REMB);
  CHECK_EQ_INT(v->n_exts, 1);
  CHECK_EQ_INT(ext(v, URI_AST), SDP_SUB_EXT_ABS_SEND_TIME);
  CHECK_EQ_STR(v->msid_track, "video-1");
  CHECK_EQ_INT(count(out, "a=candidate:"), 3);
  CHECK_EQ_INT(count(out, "transport-cc"), 0);

  /* the video's publisher left: the slot stays, inactive, port 9, no ssrc/msid */
  l[1].active = false;
  CHECK(sdp_build_subscribe_offer(l, 3, &LOCAL, out, sizeof out) > 0);
  CHECK_EQ_INT(parse(out, r, NULL, 0), 0);
  CHECK_EQ_INT(r->n_media, 3);
  CHECK_EQ_STR(r->media[1].mid, "1");
  CHECK_EQ_INT(r->media[1].port, 9);
  CHECK_EQ_INT(r->media[1].dir, SDP_INACTIVE);
  CHECK_EQ_INT(r->media[1].n_ssrcs, 0);
  CHECK_EQ_STR(r->media[1].msid_stream, "");
  CHECK_EQ_INT(r->media[0].dir, SDP_SENDONLY);
  CHECK(strstr(out, "a=group:BUNDLE 0 1 2\r\n") != NULL);
  section(out, 1, sec, sizeof sec);
  CHECK_EQ_INT(count(sec, "a=ssrc"), 0);
  CHECK_EQ_INT(count(sec, "a=msid"), 0);
  CHECK_EQ_INT(count(sec, "a=inactive"), 1);
  /* an inactive entry needs no ids at all */
  memset(l[1].stream_id, 0, sizeof l[1].stream_id);
  memset(l[1].track_id, 0, sizeof l[1].track_id);
  CHECK(sdp_build_subscribe_offer(l, 3, &LOCAL, out, sizeof out) > 0);

  /* a new publisher's video reuses the slot */
  l[1] = sub_line(SDP_VIDEO, 1, true);
  l[1].ssrc = 777;
  snprintf(l[1].track_id, sizeof l[1].track_id, "video-new");
  CHECK(sdp_build_subscribe_offer(l, 3, &LOCAL, out, sizeof out) > 0);
  CHECK_EQ_INT(parse(out, r, NULL, 0), 0);
  CHECK_EQ_INT(r->media[1].dir, SDP_SENDONLY);
  CHECK_EQ_INT(r->media[1].ssrcs[0], 777);
  CHECK_EQ_STR(r->media[1].msid_track, "video-new");
  free(r);
}

static void test_subscribe_offer_many(void) {
  size_t cap = SDP_OUT_CAP(SDP_MAX_MEDIA);
  char *out = malloc(cap);
  sdp_sub_line *l = calloc(SDP_MAX_MEDIA + 1, sizeof *l);
  sdp_session *r = new_session();
  if (!out || !l) abort();
  for (int i = 0; i < 200; i++) l[i] = sub_line(i % 2 ? SDP_VIDEO : SDP_AUDIO, i, i % 3 != 0);
  int len = sdp_build_subscribe_offer(l, 200, &LOCAL, out, cap);
  CHECK(len > 0 && (size_t)len < SDP_OUT_CAP(200));
  char err[128] = "";
  CHECK_EQ_INT(parse(out, r, err, sizeof err), 0);
  CHECK_EQ_STR(err, "");
  CHECK_EQ_INT(r->n_media, 200);
  CHECK_EQ_INT(r->n_bundle, 200);
  CHECK_EQ_STR(r->media[199].mid, "199");
  CHECK_EQ_INT(r->media[199].dir, SDP_SENDONLY);
  CHECK_EQ_INT(r->media[198].dir, SDP_INACTIVE);

  /* the largest possible offer fits SDP_OUT_CAP and still parses */
  sdp_local big = LOCAL;
  char ufrag[257], pwd[257];
  memset(ufrag, 'u', 256);
  memset(pwd, 'p', 256);
  ufrag[256] = pwd[256] = '\0';
  big.ice_ufrag = ufrag;
  big.ice_pwd = pwd;
  big.ip = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255";
  big.port = 65535;
  big.session_id = UINT64_MAX;
  big.session_version = UINT32_MAX;
  for (int i = 0; i < SDP_MAX_MEDIA; i++) {
    l[i] = sub_line(SDP_AUDIO, i, true);
    memset(l[i].mid, 'm', 32);
    snprintf(l[i].mid + 29, 4, "%03u", (unsigned)i % 1000u);
    memset(l[i].stream_id, 's', 64);
    memset(l[i].track_id, 't', 64);
    l[i].ssrc = UINT32_MAX;
  }
  /* 256 mids of 32 characters: the BUNDLE line would be over SDP_MAX_LINE */
  CHECK_EQ_INT(sdp_build_subscribe_offer(l, SDP_MAX_MEDIA, &big, out, cap), -1);
  for (int i = 0; i < SDP_MAX_MEDIA; i++) {
    memset(l[i].mid, 0, sizeof l[i].mid);
    memset(l[i].mid, 'm', 14);
    snprintf(l[i].mid + 11, 4, "%03u", (unsigned)i % 1000u);
  }
  len = sdp_build_subscribe_offer(l, SDP_MAX_MEDIA, &big, out, cap);
  CHECK(len > 0 && (size_t)len < cap);
  /* with the SFU's own short credentials and an IPv4 address it also stays
   * within the parser's limits */
  big.ice_ufrag = LOCAL.ice_ufrag;
  big.ice_pwd = LOCAL.ice_pwd;
  big.ip = "255.255.255.255";
  len = sdp_build_subscribe_offer(l, SDP_MAX_MEDIA, &big, out, cap);
  CHECK(len > 0 && (size_t)len <= SDP_MAX_TEXT);
  CHECK_EQ_INT(parse(out, r, err, sizeof err), 0);
  CHECK_EQ_STR(err, "");
  CHECK_EQ_INT(r->n_media, SDP_MAX_MEDIA);
  CHECK_EQ_INT(r->n_bundle, SDP_MAX_MEDIA);
  CHECK_EQ_STR(r->media[255].mid, "mmmmmmmmmmm255");
  CHECK_EQ_STR(r->media[255].msid_stream, l[255].stream_id);
  /* too many lines */
  l[SDP_MAX_MEDIA] = sub_line(SDP_AUDIO, 999, true);
  CHECK_EQ_INT(sdp_build_subscribe_offer(l, SDP_MAX_MEDIA + 1, &LOCAL, out, cap), -1);
  free(out);
  free(l);
  free(r);
}

static void test_subscribe_offer_bad_lines(void) {
  static char out[16384];
  sdp_sub_line l[2] = {sub_line(SDP_AUDIO, 0, true), sub_line(SDP_VIDEO, 1, true)};
  CHECK(sdp_build_subscribe_offer(l, 2, &LOCAL, out, sizeof out) > 0);
  snprintf(l[1].mid, sizeof l[1].mid, "0");
  CHECK_EQ_INT(sdp_build_subscribe_offer(l, 2, &LOCAL, out, sizeof out), -1); /* duplicate */
  snprintf(l[1].mid, sizeof l[1].mid, "a b");
  CHECK_EQ_INT(sdp_build_subscribe_offer(l, 2, &LOCAL, out, sizeof out), -1);
  snprintf(l[1].mid, sizeof l[1].mid, "x\r\na=evil");
  CHECK_EQ_INT(sdp_build_subscribe_offer(l, 2, &LOCAL, out, sizeof out), -1);
  l[1].mid[0] = '\0';
  CHECK_EQ_INT(sdp_build_subscribe_offer(l, 2, &LOCAL, out, sizeof out), -1);
  memset(l[1].mid, 'x', sizeof l[1].mid); /* not terminated */
  CHECK_EQ_INT(sdp_build_subscribe_offer(l, 2, &LOCAL, out, sizeof out), -1);
  l[1] = sub_line(SDP_APPLICATION, 1, true);
  CHECK_EQ_INT(sdp_build_subscribe_offer(l, 2, &LOCAL, out, sizeof out), -1);
  l[1] = sub_line(SDP_VIDEO, 1, true);
  l[1].track_id[0] = '\0';
  CHECK_EQ_INT(sdp_build_subscribe_offer(l, 2, &LOCAL, out, sizeof out), -1);
  l[1] = sub_line(SDP_VIDEO, 1, true);
  memset(l[1].stream_id, 's', sizeof l[1].stream_id);
  CHECK_EQ_INT(sdp_build_subscribe_offer(l, 2, &LOCAL, out, sizeof out), -1);
  l[1] = sub_line(SDP_VIDEO, 1, true);
  snprintf(l[1].stream_id, sizeof l[1].stream_id, "s t");
  CHECK_EQ_INT(sdp_build_subscribe_offer(l, 2, &LOCAL, out, sizeof out), -1);
  /* every capacity below the needed one */
  l[1] = sub_line(SDP_VIDEO, 1, true);
  int need = sdp_build_subscribe_offer(l, 2, &LOCAL, out, sizeof out);
  CHECK(need > 0);
  for (int cap = 1; cap <= need; cap++) {
    char *buf = malloc((size_t)cap);
    if (!buf) abort();
    CHECK_EQ_INT(sdp_build_subscribe_offer(l, 2, &LOCAL, buf, (size_t)cap), -1);
    free(buf);
  }
}

/* ---- subscribe answer check ---- */

static void answer_lines(sdp_sub_line l[3]) {
  l[0] = sub_line(SDP_AUDIO, 0, true);
  l[1] = sub_line(SDP_VIDEO, 1, true);
  l[2] = sub_line(SDP_AUDIO, 2, false);
}

/* Parses CHROME_SUBSCRIBE_ANSWER edited by one replacement (or none) and
 * checks it; returns the check's result. */
static int check_edited(const char *from, const char *to, char *err, size_t errcap) {
  sdp_sub_line l[3];
  answer_lines(l);
  char *x = from ? replace(CHROME_SUBSCRIBE_ANSWER, from, to) : NULL;
  sdp_session *s = new_session();
  int rc = -2;
  if (parse(x ? x : CHROME_SUBSCRIBE_ANSWER, s, NULL, 0) == 0)
    rc = sdp_check_subscribe_answer(s, l, 3, err, errcap);
  free(x);
  free(s);
  return rc;
}

static void test_check_subscribe_answer(void) {
  char err[128] = "x";
  CHECK_EQ_INT(check_edited(NULL, NULL, err, sizeof err), 0);
  CHECK_EQ_STR(err, "");
  /* the offer that this answer answers is what the SFU builds */
  static char out[16384];
  sdp_sub_line l[3];
  answer_lines(l);
  CHECK(sdp_build_subscribe_offer(l, 3, &LOCAL, out, sizeof out) > 0);

  struct {
    const char *from, *to;
  } bad[] = {
      {"a=mid:0", "a=mid:9"},                            /* wrong mid */
      {"a=setup:active", "a=setup:passive"},             /* the SFU must be the DTLS server */
      {"a=setup:active", "a=setup:actpass"},             /* an answer must choose */
      {"m=video 9 ", "m=video 0 "},                      /* rejected */
      {"a=recvonly\r\na=rtcp-mux\r\na=rtcp-rsize\r\na=rtpmap:96", "a=sendrecv\r\na=rtpmap:96"},
      {"a=rtpmap:96 VP8/90000", "a=rtpmap:96 VP9/90000"}, /* codec not kept */
      {"m=audio 9 UDP/TLS/RTP/SAVPF 111", "m=video 9 UDP/TLS/RTP/SAVPF 111"}, /* kind */
      {"a=group:BUNDLE 0 1 2", "a=group:BUNDLE 0 2"},    /* video not bundled */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    err[0] = '\0';
    CHECK_EQ_INT(check_edited(bad[i].from, bad[i].to, err, sizeof err), -1);
    CHECK(err[0] != '\0');
  }
  /* the inactive line may be anything as long as the mid matches */
  CHECK_EQ_INT(check_edited("a=inactive", "a=sendrecv", err, sizeof err), 0);

  /* wrong mid order */
  char *x = replace(CHROME_SUBSCRIBE_ANSWER, "a=mid:0", "a=mid:X");
  char *y = replace(x, "a=mid:1", "a=mid:0");
  char *z = replace(y, "a=mid:X", "a=mid:1");
  sdp_session *s = new_session();
  CHECK_EQ_INT(parse(z, s, NULL, 0), 0);
  CHECK_EQ_INT(sdp_check_subscribe_answer(s, l, 3, err, sizeof err), -1);
  free(x);
  free(y);
  free(z);

  /* missing fingerprint (on every m-line) */
  CHECK_EQ_INT(parse(CHROME_SUBSCRIBE_ANSWER, s, NULL, 0), 0);
  s->fp_len = 0;
  s->fp_alg[0] = '\0';
  CHECK_EQ_INT(sdp_check_subscribe_answer(s, l, 3, err, sizeof err), -1);
  CHECK(strstr(err, "fingerprint") != NULL);
  x = strdup(CHROME_SUBSCRIBE_ANSWER);
  if (!x) abort();
  for (char *p = strstr(x, "a=fingerprint:"); p; p = strstr(p, "a=fingerprint:")) p[2] = 'X';
  CHECK_EQ_INT(parse(x, s, NULL, 0), 0);
  CHECK_EQ_INT(s->fp_len, 0);
  CHECK_EQ_INT(sdp_check_subscribe_answer(s, l, 3, err, sizeof err), -1);
  free(x);
  /* missing ICE credentials */
  CHECK_EQ_INT(parse(CHROME_SUBSCRIBE_ANSWER, s, NULL, 0), 0);
  s->ice_pwd[0] = '\0';
  CHECK_EQ_INT(sdp_check_subscribe_answer(s, l, 3, err, sizeof err), -1);
  /* m-line count */
  CHECK_EQ_INT(parse(CHROME_SUBSCRIBE_ANSWER, s, NULL, 0), 0);
  CHECK_EQ_INT(sdp_check_subscribe_answer(s, l, 2, err, sizeof err), -1);
  CHECK_EQ_INT(sdp_check_subscribe_answer(s, l, 0, err, sizeof err), -1);
  CHECK_EQ_INT(sdp_check_subscribe_answer(NULL, l, 3, err, sizeof err), -1);
  CHECK_EQ_INT(sdp_check_subscribe_answer(s, l, 3, NULL, 0), 0);
  free(s);
}

/* ---- hostile input ---- */

#define MIN_HEAD "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
#define AUDIO_M "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n"

static void test_hostile_structure(void) {
  CHECK(!rejected(MIN_HEAD));
  CHECK(!rejected("v=0"));
  CHECK(rejected(""));
  CHECK(rejected("\r"));
  CHECK(rejected("\r\n"));
  CHECK(rejected("\n\nv=0\r\n"));
  CHECK(rejected("o=- 1 1 IN IP4 0.0.0.0\r\nv=0\r\n"));
  CHECK(rejected("v=1\r\n"));
  CHECK(rejected("v=0 \r\n"));
  CHECK(rejected("v=0\r\r\n"));
  CHECK(rejected("v=0\ro=- 1 1 IN IP4 0.0.0.0\rs=-\r")); /* CR-only line ends */
  CHECK(rejected(MIN_HEAD "v=0\r\n"));
  CHECK(rejected(MIN_HEAD "garbage\r\n"));
  CHECK(rejected(MIN_HEAD "=x\r\n"));
  CHECK(rejected(MIN_HEAD "A=x\r\n"));
  CHECK(rejected(MIN_HEAD "a\r\n"));
  CHECK(!rejected(MIN_HEAD "z=unknown line type\r\n\r\n"));
  CHECK(!rejected(MIN_HEAD "a=unknown-attribute:whatever it is\r\n"));
  CHECK(rejected(MIN_HEAD "a=x\x01y\r\n"));
  CHECK(rejected(MIN_HEAD "a=x\x7fy\r\n"));
  CHECK(!rejected(MIN_HEAD "s=caf\xc3\xa9\tok\r\n"));

  /* NUL bytes: embedded anywhere */
  const char with_nul[] = "v=0\r\ns=a\0b\r\n";
  sdp_session *s = new_session();
  char err[128];
  CHECK_EQ_INT(sdp_parse(with_nul, sizeof with_nul - 1, s, err, sizeof err), -1);
  CHECK_EQ_INT(sdp_parse("v=0\0", 4, s, err, sizeof err), -1);
  /* NULL arguments */
  CHECK_EQ_INT(sdp_parse(NULL, 5, s, err, sizeof err), -1);
  CHECK_EQ_INT(sdp_parse("v=0", 3, NULL, err, sizeof err), -1);
  CHECK_EQ_INT(sdp_parse("x", 1, s, NULL, 0), -1);
  /* err is truncated, never overrun */
  char tiny[4] = "zzz";
  CHECK_EQ_INT(sdp_parse("x", 1, s, tiny, sizeof tiny), -1);
  CHECK_EQ_INT(strlen(tiny), 3);
  free(s);
}

static void test_hostile_sizes(void) {
  size_t big = SDP_MAX_TEXT + 64;
  char *t = malloc(big + 1);
  sdp_session *s = new_session();
  char err[128];
  if (!t) abort();
  /* a 4096-byte line is fine, 4097 is not (5000 either) */
  int n = snprintf(t, big, "v=0\r\na=");
  memset(t + n, 'x', SDP_MAX_LINE - 2);
  strcpy(t + n + SDP_MAX_LINE - 2, "\r\n");
  CHECK_EQ_INT(sdp_parse(t, strlen(t), s, err, sizeof err), 0);
  t[n + SDP_MAX_LINE - 2] = 'x';
  strcpy(t + n + SDP_MAX_LINE - 1, "\r\n");
  CHECK_EQ_INT(sdp_parse(t, strlen(t), s, err, sizeof err), -1);
  CHECK(strstr(err, "line") != NULL);
  memset(t + n, 'x', 4998);
  strcpy(t + n + 4998, "\r\n");
  CHECK_EQ_INT(sdp_parse(t, strlen(t), s, err, sizeof err), -1);
  /* total over 256 KiB, even of valid lines */
  size_t k = (size_t)snprintf(t, big, "v=0\r\n");
  while (k + 10 < big) k += (size_t)snprintf(t + k, big - k, "a=x:%04d\r\n", (int)(k % 9999));
  CHECK_EQ_INT(sdp_parse(t, SDP_MAX_TEXT, s, err, sizeof err), 0); /* ends in "a=x:NNNN\r" */
  CHECK_EQ_INT(sdp_parse(t, SDP_MAX_TEXT + 1, s, err, sizeof err), -1);
  CHECK(strstr(err, "bytes") != NULL);
  /* 256 m-lines are fine, 257 (or 300) are not */
  for (int lines = 256; lines <= 300; lines += 44) {
    k = (size_t)snprintf(t, big, "v=0\r\n");
    for (int i = 0; i < lines; i++)
      k += (size_t)snprintf(t + k, big - k, "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:%d\r\n", i);
    CHECK_EQ_INT(sdp_parse(t, k, s, err, sizeof err), lines == 256 ? 0 : -1);
  }
  CHECK_EQ_INT(s->n_media, 256);
  k = (size_t)snprintf(t, big, "v=0\r\n");
  for (int i = 0; i < 257; i++) k += (size_t)snprintf(t + k, big - k, "m=audio 0 RTP/AVP 0\r\n");
  CHECK_EQ_INT(sdp_parse(t, k, s, err, sizeof err), -1);
  CHECK(strstr(err, "m-lines") != NULL);
  /* more payload types than SDP_MAX_CODECS: the first 32 are kept */
  k = (size_t)snprintf(t, big, "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF");
  for (int pt = 60; pt < 100; pt++) k += (size_t)snprintf(t + k, big - k, " %d", pt);
  k += (size_t)snprintf(t + k, big - k, "\r\na=rtpmap:99 VP8/90000\r\na=rtpmap:91 VP8/90000\r\n");
  CHECK_EQ_INT(sdp_parse(t, k, s, err, sizeof err), 0);
  CHECK_EQ_INT(s->media[0].n_codecs, SDP_MAX_CODECS);
  CHECK_EQ_INT(s->media[0].codecs[31].pt, 91);
  CHECK_EQ_STR(s->media[0].codecs[31].name, "VP8");
  /* more extmaps than SDP_MAX_EXT: the first 16 are kept */
  k = (size_t)snprintf(t, big, "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n");
  for (int id = 1; id <= 20; id++) k += (size_t)snprintf(t + k, big - k, "a=extmap:%d urn:x:%d\r\n", id, id);
  CHECK_EQ_INT(sdp_parse(t, k, s, err, sizeof err), 0);
  CHECK_EQ_INT(s->media[0].n_exts, SDP_MAX_EXT);
  /* many SSRCs: four kept, FID firsts first */
  k = (size_t)snprintf(t, big, "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n");
  for (int i = 1; i <= 40; i++) k += (size_t)snprintf(t + k, big - k, "a=ssrc:%d cname:x\r\n", i);
  k += (size_t)snprintf(t + k, big - k,
                        "a=ssrc-group:SIM 7 9 11\r\na=ssrc-group:FID 7 8\r\n"
                        "a=ssrc-group:FID 9 10\r\na=ssrc-group:FID 11 12\r\n");
  CHECK_EQ_INT(sdp_parse(t, k, s, err, sizeof err), 0);
  CHECK_EQ_INT(s->media[0].n_ssrcs, 4);
  CHECK_EQ_INT(s->media[0].ssrcs[0], 7);
  CHECK_EQ_INT(s->media[0].ssrcs[1], 9);
  CHECK_EQ_INT(s->media[0].ssrcs[2], 11);
  CHECK_EQ_INT(s->media[0].ssrcs[3], 1);
  CHECK_EQ_INT(s->media[0].rtx_ssrc, 8);
  /* a BUNDLE group of 257 mids */
  k = (size_t)snprintf(t, big, "v=0\r\na=group:BUNDLE");
  for (int i = 0; i < 257; i++) k += (size_t)snprintf(t + k, big - k, " m%d", i);
  CHECK_EQ_INT(sdp_parse(t, k, s, err, sizeof err), -1);
  free(t);
  free(s);
}

static void test_hostile_numbers(void) {
  /* payload types */
  CHECK(rejected(MIN_HEAD "m=audio 9 UDP/TLS/RTP/SAVPF 200\r\n"));
  CHECK(rejected(MIN_HEAD "m=audio 9 UDP/TLS/RTP/SAVPF 128\r\n"));
  CHECK(!rejected(MIN_HEAD "m=audio 9 UDP/TLS/RTP/SAVPF 127 0\r\n"));
  CHECK(rejected(MIN_HEAD "m=audio 9 UDP/TLS/RTP/SAVPF -1\r\n"));
  CHECK(rejected(MIN_HEAD "m=audio 9 UDP/TLS/RTP/SAVPF 111 111\r\n"));
  CHECK(rejected(MIN_HEAD "m=audio 9 UDP/TLS/RTP/SAVPF opus\r\n"));
  CHECK(rejected(MIN_HEAD "m=audio 9 UDP/TLS/RTP/SAVPF\r\n"));
  CHECK(!rejected(MIN_HEAD "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"));
  /* ports */
  CHECK(rejected(MIN_HEAD "m=audio -1 UDP/TLS/RTP/SAVPF 111\r\n"));
  CHECK(rejected(MIN_HEAD "m=audio 65536 UDP/TLS/RTP/SAVPF 111\r\n"));
  CHECK(rejected(MIN_HEAD "m=audio 99999999999999999999999 UDP/TLS/RTP/SAVPF 111\r\n"));
  CHECK(rejected(MIN_HEAD "m=audio +9 UDP/TLS/RTP/SAVPF 111\r\n"));
  CHECK(rejected(MIN_HEAD "m=audio 9/0 UDP/TLS/RTP/SAVPF 111\r\n"));
  CHECK(rejected(MIN_HEAD "m=audio 9/ UDP/TLS/RTP/SAVPF 111\r\n"));
  CHECK(!rejected(MIN_HEAD "m=audio 65535/2 UDP/TLS/RTP/SAVPF 111\r\n"));
  CHECK(rejected(MIN_HEAD "m=audio\r\n"));
  CHECK(rejected(MIN_HEAD "m=audio 9 UDP//SAVPF 111\r\n"));
  CHECK(rejected(MIN_HEAD "m=audioaudioaudioaudio 9 RTP/AVP 0\r\n"));
  /* rtpmap */
  CHECK(rejected(MIN_HEAD AUDIO_M "a=rtpmap:\r\n"));
  CHECK(rejected(MIN_HEAD AUDIO_M "a=rtpmap\r\n"));
  CHECK(rejected(MIN_HEAD AUDIO_M "a=rtpmap:111\r\n"));
  CHECK(rejected(MIN_HEAD AUDIO_M "a=rtpmap:111 \r\n"));
  CHECK(rejected(MIN_HEAD AUDIO_M "a=rtpmap:111 opus\r\n"));
  CHECK(rejected(MIN_HEAD AUDIO_M "a=rtpmap:111 opus/\r\n"));
  CHECK(rejected(MIN_HEAD AUDIO_M "a=rtpmap:111 /48000/2\r\n"));
  CHECK(rejected(MIN_HEAD AUDIO_M "a=rtpmap:111 opus/0\r\n"));
  CHECK(rejected(MIN_HEAD AUDIO_M "a=rtpmap:111 opus/48000/0\r\n"));
  CHECK(rejected(MIN_HEAD AUDIO_M "a=rtpmap:111 opus/48000/256\r\n"));
  CHECK(rejected(MIN_HEAD AUDIO_M "a=rtpmap:111 opus/48000/2/1\r\n"));
  CHECK(rejected(MIN_HEAD AUDIO_M "a=rtpmap:111 opus/4294967296/2\r\n"));
  CHECK(rejected(MIN_HEAD AUDIO_M "a=rtpmap:200 opus/48000/2\r\n"));
  CHECK(rejected(MIN_HEAD AUDIO_M "a=rtpmap:-1 opus/48000/2\r\n"));
  CHECK(rejected(MIN_HEAD AUDIO_M "a=rtpmap:x opus/48000/2\r\n"));
  CHECK(rejected(MIN_HEAD AUDIO_M "a=rtpmap:111 0123456789012345678901234567890123/1\r\n"));
  CHECK(!rejected(MIN_HEAD AUDIO_M "a=rtpmap:111 opus/4294967295/255\r\n"));
  CHECK(!rejected(MIN_HEAD AUDIO_M "a=rtpmap:112 opus/48000/2\r\n")); /* not listed: ignored */
  /* fmtp, rtcp-fb */
  CHECK(rejected(MIN_HEAD AUDIO_M "a=fmtp:\r\n"));
  CHECK(rejected(MIN_HEAD AUDIO_M "a=fmtp:128 x=1\r\n"));
  CHECK(rejected(MIN_HEAD AUDIO_M "a=fmtp:111 apt=128\r\n"));
  CHECK(rejected(MIN_HEAD AUDIO_M "a=fmtp:111 apt=\r\n"));
  CHECK(!rejected(MIN_HEAD AUDIO_M "a=fmtp:111\r\n"));
  CHECK(rejected(MIN_HEAD AUDIO_M "a=rtcp-fb:\r\n"));
  CHECK(rejected(MIN_HEAD AUDIO_M "a=rtcp-fb:111\r\n"));
  CHECK(rejected(MIN_HEAD AUDIO_M "a=rtcp-fb:1000 nack\r\n"));
  CHECK(!rejected(MIN_HEAD AUDIO_M "a=rtcp-fb:* nack\r\n"));
  /* extmap */
  CHECK(rejected(MIN_HEAD AUDIO_M "a=extmap:0 urn:x\r\n"));
  CHECK(rejected(MIN_HEAD AUDIO_M "a=extmap:256 urn:x\r\n"));
  CHECK(rejected(MIN_HEAD AUDIO_M "a=extmap:4096 urn:x\r\n"));
  CHECK(rejected(MIN_HEAD AUDIO_M "a=extmap:1\r\n"));
  CHECK(rejected(MIN_HEAD AUDIO_M "a=extmap:1/sideways urn:x\r\n"));
  CHECK(rejected(MIN_HEAD AUDIO_M "a=extmap:1 urn:x\r\na=extmap:1 urn:y\r\n"));
  CHECK(!rejected(MIN_HEAD AUDIO_M "a=extmap:255/recvonly urn:x attr\r\n"));
  /* ssrc */
  CHECK(rejected(MIN_HEAD AUDIO_M "a=ssrc:4294967296 cname:x\r\n"));
  CHECK(rejected(MIN_HEAD AUDIO_M "a=ssrc:-5 cname:x\r\n"));
  CHECK(rejected(MIN_HEAD AUDIO_M "a=ssrc:\r\n"));
  CHECK(!rejected(MIN_HEAD AUDIO_M "a=ssrc:4294967295 cname:x\r\n"));
  CHECK(rejected(MIN_HEAD AUDIO_M "a=ssrc-group:FID 1 99999999999\r\n"));
  CHECK(rejected(MIN_HEAD AUDIO_M "a=ssrc-group:\r\n"));
  CHECK(!rejected(MIN_HEAD AUDIO_M "a=ssrc-group:FID 1\r\n"));
}

static void test_hostile_attributes(void) {
  /* fingerprints */
  CHECK(rejected(MIN_HEAD "a=fingerprint:sha-256 ZZ:1A:F4:2A:55:59:7C:DB:09:B5:38:F9:6B:EC:89:"
                          "E0:31:4A:F3:4A:2C:1F:58:61:D9:BC:ED:6C:B4:FC:4E:88\r\n"));
  CHECK(rejected(MIN_HEAD "a=fingerprint:sha-256 97:1A:F4\r\n")); /* too short for sha-256 */
  CHECK(rejected(MIN_HEAD "a=fingerprint:sha-256 971AF42A\r\n"));
  CHECK(rejected(MIN_HEAD "a=fingerprint:sha-256 97:1A:\r\n"));
  CHECK(rejected(MIN_HEAD "a=fingerprint:sha-256 9:71:A\r\n"));
  CHECK(rejected(MIN_HEAD "a=fingerprint:sha-256\r\n"));
  CHECK(rejected(MIN_HEAD "a=fingerprint:\r\n"));
  CHECK(rejected(MIN_HEAD "a=fingerprint:sha-256-but-very-long AB\r\n"));
  CHECK(!rejected(MIN_HEAD "a=fingerprint:new-hash AB:CD\r\n"));
  /* 65 bytes */
  char buf[512];
  int n = snprintf(buf, sizeof buf, MIN_HEAD "a=fingerprint:new-hash AB");
  for (int i = 1; i < 65; i++) n += snprintf(buf + n, sizeof buf - (size_t)n, ":AB");
  snprintf(buf + n, sizeof buf - (size_t)n, "\r\n");
  CHECK(rejected(buf));
  /* a sha-256 fingerprint replaces a sha-1 one, not the other way round */
  sdp_session *s = new_session();
  const char *sha1 = "a=fingerprint:sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33\r\n";
  const char *sha256 = "a=fingerprint:SHA-256 " SERVER_FP "\r\n";
  snprintf(buf, sizeof buf, MIN_HEAD "%s%s", sha1, sha256);
  CHECK_EQ_INT(parse(buf, s, NULL, 0), 0);
  CHECK_EQ_STR(s->fp_alg, "sha-256");
  CHECK_EQ_INT(s->fp_len, 32);
  snprintf(buf, sizeof buf, MIN_HEAD "%s%s", sha256, sha1);
  CHECK_EQ_INT(parse(buf, s, NULL, 0), 0);
  CHECK_EQ_STR(s->fp_alg, "sha-256");
  /* session-level values win over media-level ones */
  CHECK_EQ_INT(parse(MIN_HEAD "a=ice-ufrag:sess\r\na=setup:active\r\n" AUDIO_M
                              "a=ice-ufrag:medi\r\na=setup:passive\r\na=sendonly\r\n",
                     s, NULL, 0),
               0);
  CHECK_EQ_STR(s->ice_ufrag, "sess");
  CHECK_EQ_STR(s->setup, "active");
  /* session-level direction is the default of every m-line */
  CHECK_EQ_INT(parse(MIN_HEAD "a=recvonly\r\n" AUDIO_M "m=audio 9 RTP/AVP 0\r\na=sendonly\r\n",
                     s, NULL, 0),
               0);
  CHECK_EQ_INT(s->media[0].dir, SDP_RECVONLY);
  CHECK_EQ_INT(s->media[1].dir, SDP_SENDONLY);
  /* ICE credentials */
  CHECK(rejected(MIN_HEAD "a=ice-ufrag:abc\r\n"));
  CHECK(rejected(MIN_HEAD "a=ice-ufrag:ab-d\r\n"));
  CHECK(rejected(MIN_HEAD "a=ice-ufrag:\r\n"));
  CHECK(rejected(MIN_HEAD "a=ice-pwd:0123456789\r\n"));
  CHECK(!rejected(MIN_HEAD "a=ice-ufrag:a+/b\r\na=ice-pwd:0123456789012345678901\r\n"));
  /* setup */
  CHECK(rejected(MIN_HEAD "a=setup:bogus\r\n"));
  CHECK(rejected(MIN_HEAD "a=setup:\r\n"));
  CHECK(rejected(MIN_HEAD "a=setup:actpassactpass\r\n"));
  /* mids */
  CHECK(rejected(MIN_HEAD AUDIO_M AUDIO_M));
  CHECK(rejected(MIN_HEAD AUDIO_M "a=mid:1\r\n"));
  CHECK(rejected(MIN_HEAD "m=audio 9 RTP/AVP 0\r\na=mid:\r\n"));
  CHECK(rejected(MIN_HEAD "m=audio 9 RTP/AVP 0\r\na=mid:a b\r\n"));
  CHECK(rejected(MIN_HEAD "m=audio 9 RTP/AVP 0\r\na=mid:012345678901234567890123456789012\r\n"));
  CHECK(!rejected(MIN_HEAD "m=audio 9 RTP/AVP 0\r\na=mid:01234567890123456789012345678901\r\n"));
  CHECK(rejected(MIN_HEAD "a=group:BUNDLE a b:c\r\n"));
  CHECK(!rejected(MIN_HEAD "a=group:LS a b\r\n"));
  /* msid */
  CHECK(rejected(MIN_HEAD AUDIO_M "a=msid:\r\n"));
  CHECK(rejected(MIN_HEAD AUDIO_M "a=msid:a,b c\r\n"));
  memset(buf, 0, sizeof buf);
  n = snprintf(buf, sizeof buf, MIN_HEAD AUDIO_M "a=msid:");
  memset(buf + n, 's', 65);
  strcpy(buf + n + 65, " t\r\n");
  CHECK(rejected(buf));
  buf[n + 64] = ' ';
  CHECK(!rejected(buf));
  CHECK(rejected(MIN_HEAD AUDIO_M "a=ssrc:1 msid:a,b c\r\n"));
  /* a=msid wins over a=ssrc msid: in either order */
  CHECK_EQ_INT(parse(MIN_HEAD AUDIO_M "a=ssrc:1 msid:s1 t1\r\na=msid:s2 t2\r\n", s, NULL, 0), 0);
  CHECK_EQ_STR(s->media[0].msid_stream, "s2");
  CHECK_EQ_INT(parse(MIN_HEAD AUDIO_M "a=msid:s2 t2\r\na=ssrc:1 msid:s1 t1\r\n", s, NULL, 0), 0);
  CHECK_EQ_STR(s->media[0].msid_track, "t2");
  /* rtcp-fb "*" applies to every payload type; repeats are ignored */
  CHECK_EQ_INT(parse(MIN_HEAD "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\na=rtcp-fb:* nack\r\n"
                              "a=rtcp-fb:96 nack pli\r\na=rtcp-fb:96 ccm tmmbr\r\n"
                              "a=rtpmap:96 VP8/90000\r\na=rtpmap:96 H264/90000\r\n"
                              "a=fmtp:96 x=1\r\na=fmtp:96 y=2\r\n",
                     s, NULL, 0),
               0);
  CHECK_EQ_INT(s->media[0].codecs[0].fb, SDP_FB_NACK | SDP_FB_PLI);
  CHECK_EQ_INT(s->media[0].codecs[1].fb, SDP_FB_NACK);
  CHECK_EQ_STR(s->media[0].codecs[0].name, "VP8");
  CHECK_EQ_STR(s->media[0].codecs[0].fmtp, "x=1");
  CHECK_EQ_STR(s->media[0].codecs[1].name, "");
  /* fmtp of 255 bytes is kept, 256 rejected */
  n = snprintf(buf, sizeof buf, MIN_HEAD AUDIO_M "a=fmtp:111 ");
  memset(buf + n, 'f', 255);
  strcpy(buf + n + 255, "\r\n");
  CHECK_EQ_INT(parse(buf, s, NULL, 0), 0);
  CHECK_EQ_INT(strlen(s->media[0].codecs[0].fmtp), 255);
  buf[n + 255] = 'f';
  strcpy(buf + n + 256, "\r\n");
  CHECK(rejected(buf));
  /* a too-long extmap URI is skipped, not stored truncated */
  n = snprintf(buf, sizeof buf, MIN_HEAD AUDIO_M "a=extmap:3 urn:");
  memset(buf + n, 'u', 200);
  strcpy(buf + n + 200, "\r\n");
  CHECK_EQ_INT(parse(buf, s, NULL, 0), 0);
  CHECK_EQ_INT(s->media[0].n_exts, 0);
  /* media-level-only attributes at session level are ignored */
  CHECK_EQ_INT(parse(MIN_HEAD "a=mid:x\r\na=rtpmap:foo\r\na=extmap:0\r\n", s, NULL, 0), 0);
  CHECK_EQ_INT(s->n_media, 0);
  /* codec lines on a non-RTP m-line are ignored */
  CHECK_EQ_INT(parse(MIN_HEAD "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
                              "a=rtpmap:garbage\r\na=fmtp:webrtc-datachannel max=1\r\n",
                     s, NULL, 0),
               0);
  free(s);
}

/* ---- fingerprint formatting ---- */

static void test_fingerprint_format(void) {
  char out[200];
  const uint8_t b[3] = {0x00, 0xAB, 0x7f};
  CHECK_EQ_INT(sdp_fingerprint_format(b, 3, out, sizeof out), 8);
  CHECK_EQ_STR(out, "00:AB:7F");
  CHECK_EQ_INT(sdp_fingerprint_format(b, 3, out, 9), 8);
  CHECK_EQ_INT(sdp_fingerprint_format(b, 3, out, 8), -1);
  CHECK_EQ_INT(sdp_fingerprint_format(b, 0, out, sizeof out), -1);
  CHECK_EQ_INT(sdp_fingerprint_format(NULL, 3, out, sizeof out), -1);
  CHECK_EQ_INT(sdp_fingerprint_format(b, 3, NULL, 9), -1);
  uint8_t fp64[65];
  for (int i = 0; i < 65; i++) fp64[i] = (uint8_t)(i * 37);
  CHECK_EQ_INT(sdp_fingerprint_format(fp64, 64, out, sizeof out), 191);
  CHECK_EQ_INT(sdp_fingerprint_format(fp64, 65, out, sizeof out), -1);
  /* round trip through the parser */
  CHECK_EQ_INT(sdp_fingerprint_format(CHROME_FP, 32, out, sizeof out), 95);
  char text[300];
  snprintf(text, sizeof text, "v=0\r\na=fingerprint:sha-256 %s\r\n", out);
  sdp_session *s = new_session();
  CHECK_EQ_INT(parse(text, s, NULL, 0), 0);
  CHECK(memcmp(s->fp, CHROME_FP, 32) == 0);
  free(s);
}

TEST_SUITE(sdp, {"parse_chrome_offer", test_parse_chrome_offer}, {"publish_answer_simulcast", test_publish_answer_simulcast},
           {"parse_firefox_offer", test_parse_firefox_offer},
           {"parse_chrome_answer", test_parse_chrome_answer},
           {"parse_line_ends", test_parse_line_ends},
           {"parse_every_prefix", test_parse_every_prefix},
           {"publish_answer_chrome", test_publish_answer_chrome},
           {"publish_answer_firefox", test_publish_answer_firefox},
           {"publish_answer_bundle_only", test_publish_answer_bundle_only},
           {"publish_answer_ipv6", test_publish_answer_ipv6},
           {"publish_answer_choices", test_publish_answer_choices},
           {"publish_answer_unusable", test_publish_answer_unusable},
           {"publish_answer_capacity", test_publish_answer_capacity},
           {"subscribe_offer_none", test_subscribe_offer_none},
           {"subscribe_offer_one", test_subscribe_offer_one},
           {"subscribe_offer_three_and_reuse", test_subscribe_offer_three_and_reuse},
           {"candidates_tcp", test_candidates_tcp},
           {"subscribe_offer_many", test_subscribe_offer_many},
           {"subscribe_offer_bad_lines", test_subscribe_offer_bad_lines},
           {"check_subscribe_answer", test_check_subscribe_answer},
           {"hostile_structure", test_hostile_structure},
           {"hostile_sizes", test_hostile_sizes},
           {"hostile_numbers", test_hostile_numbers},
           {"hostile_attributes", test_hostile_attributes},
           {"fingerprint_format", test_fingerprint_format});
