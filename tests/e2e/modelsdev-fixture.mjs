// A small models.dev-shaped catalogue (https://models.dev/api.json), served on loopback by
// e2e.test.mjs so the service's enrichment runs without the internet. Entries copied verbatim
// from tests/fixtures/modelsdev-api.json (a real models.dev download): openai (gpt-5.5, gpt-5.4,
// gpt-5.4-mini, gpt-4.1, gpt-4o, o3, o4-mini) and moonshotai (kimi-k2.6). Nothing here knows
// mock-small/-large/-vision, so the mock models must stay without limits.
export const MODELS_DEV = {
 "openai": {
  "name": "OpenAI",
  "env": [
   "OPENAI_API_KEY"
  ],
  "npm": "@ai-sdk/openai",
  "doc": "https://platform.openai.com/docs/models",
  "id": "openai",
  "models": {
   "gpt-5.5": {
    "name": "GPT-5.5",
    "family": "gpt",
    "release_date": "2026-04-23",
    "last_updated": "2026-04-23",
    "attachment": true,
    "reasoning": true,
    "reasoning_options": [
     {
      "type": "effort",
      "values": [
       "none",
       "low",
       "medium",
       "high",
       "xhigh"
      ]
     }
    ],
    "temperature": false,
    "knowledge": "2025-12-01",
    "tool_call": true,
    "structured_output": true,
    "open_weights": false,
    "cost": {
     "input": 5.0,
     "output": 30.0,
     "cache_read": 0.5,
     "tiers": [
      {
       "tier": {
        "size": 272000
       },
       "input": 10.0,
       "output": 45.0,
       "cache_read": 1.0
      }
     ],
     "context_over_200k": {
      "input": 10.0,
      "output": 45.0,
      "cache_read": 1.0
     }
    },
    "limit": {
     "context": 1050000,
     "input": 922000,
     "output": 128000
    },
    "modalities": {
     "input": [
      "text",
      "image",
      "pdf"
     ],
     "output": [
      "text"
     ]
    },
    "experimental": {
     "modes": {
      "fast": {
       "cost": {
        "input": 12.5,
        "output": 75.0,
        "cache_read": 1.25
       },
       "provider": {
        "body": {
         "service_tier": "priority"
        }
       }
      }
     }
    },
    "id": "gpt-5.5"
   },
   "gpt-5.4": {
    "name": "GPT-5.4",
    "family": "gpt",
    "release_date": "2026-03-05",
    "last_updated": "2026-03-05",
    "attachment": true,
    "reasoning": true,
    "reasoning_options": [
     {
      "type": "effort",
      "values": [
       "none",
       "low",
       "medium",
       "high",
       "xhigh"
      ]
     }
    ],
    "temperature": false,
    "knowledge": "2025-08-31",
    "tool_call": true,
    "structured_output": true,
    "open_weights": false,
    "cost": {
     "input": 2.5,
     "output": 15.0,
     "cache_read": 0.25,
     "tiers": [
      {
       "tier": {
        "size": 272000
       },
       "input": 5.0,
       "output": 22.5,
       "cache_read": 0.5
      }
     ],
     "context_over_200k": {
      "input": 5.0,
      "output": 22.5,
      "cache_read": 0.5
     }
    },
    "limit": {
     "context": 1050000,
     "input": 922000,
     "output": 128000
    },
    "modalities": {
     "input": [
      "text",
      "image",
      "pdf"
     ],
     "output": [
      "text"
     ]
    },
    "experimental": {
     "modes": {
      "fast": {
       "cost": {
        "input": 5.0,
        "output": 30.0,
        "cache_read": 0.5
       },
       "provider": {
        "body": {
         "service_tier": "priority"
        }
       }
      }
     }
    },
    "id": "gpt-5.4"
   },
   "gpt-5.4-mini": {
    "name": "GPT-5.4 mini",
    "family": "gpt-mini",
    "release_date": "2026-03-17",
    "last_updated": "2026-03-17",
    "attachment": true,
    "reasoning": true,
    "reasoning_options": [
     {
      "type": "effort",
      "values": [
       "none",
       "low",
       "medium",
       "high",
       "xhigh"
      ]
     }
    ],
    "temperature": false,
    "knowledge": "2025-08-31",
    "tool_call": true,
    "structured_output": true,
    "open_weights": false,
    "cost": {
     "input": 0.75,
     "output": 4.5,
     "cache_read": 0.075
    },
    "limit": {
     "context": 400000,
     "input": 272000,
     "output": 128000
    },
    "modalities": {
     "input": [
      "text",
      "image"
     ],
     "output": [
      "text"
     ]
    },
    "experimental": {
     "modes": {
      "fast": {
       "cost": {
        "input": 1.5,
        "output": 9.0,
        "cache_read": 0.15
       },
       "provider": {
        "body": {
         "service_tier": "priority"
        }
       }
      }
     }
    },
    "id": "gpt-5.4-mini"
   },
   "gpt-4.1": {
    "name": "GPT-4.1",
    "family": "gpt",
    "release_date": "2025-04-14",
    "last_updated": "2025-04-14",
    "attachment": true,
    "reasoning": false,
    "temperature": true,
    "knowledge": "2024-04",
    "tool_call": true,
    "structured_output": true,
    "open_weights": false,
    "cost": {
     "input": 2.0,
     "output": 8.0,
     "cache_read": 0.5
    },
    "limit": {
     "context": 1047576,
     "output": 32768
    },
    "modalities": {
     "input": [
      "text",
      "image",
      "pdf"
     ],
     "output": [
      "text"
     ]
    },
    "id": "gpt-4.1"
   },
   "gpt-4o": {
    "name": "GPT-4o",
    "family": "gpt",
    "release_date": "2024-05-13",
    "last_updated": "2024-08-06",
    "attachment": true,
    "reasoning": false,
    "temperature": true,
    "knowledge": "2023-09",
    "tool_call": true,
    "structured_output": true,
    "open_weights": false,
    "cost": {
     "input": 2.5,
     "output": 10.0,
     "cache_read": 1.25
    },
    "limit": {
     "context": 128000,
     "output": 16384
    },
    "modalities": {
     "input": [
      "text",
      "image",
      "pdf"
     ],
     "output": [
      "text"
     ]
    },
    "id": "gpt-4o"
   },
   "o3": {
    "name": "o3",
    "family": "o",
    "release_date": "2025-04-16",
    "last_updated": "2025-04-16",
    "attachment": true,
    "reasoning": true,
    "reasoning_options": [
     {
      "type": "effort",
      "values": [
       "low",
       "medium",
       "high"
      ]
     }
    ],
    "temperature": false,
    "knowledge": "2024-05",
    "tool_call": true,
    "structured_output": true,
    "open_weights": false,
    "cost": {
     "input": 2.0,
     "output": 8.0,
     "cache_read": 0.5
    },
    "limit": {
     "context": 200000,
     "output": 100000
    },
    "modalities": {
     "input": [
      "text",
      "image",
      "pdf"
     ],
     "output": [
      "text"
     ]
    },
    "id": "o3"
   },
   "o4-mini": {
    "name": "o4-mini",
    "family": "o-mini",
    "release_date": "2025-04-16",
    "last_updated": "2025-04-16",
    "attachment": true,
    "reasoning": true,
    "reasoning_options": [
     {
      "type": "effort",
      "values": [
       "low",
       "medium",
       "high"
      ]
     }
    ],
    "temperature": false,
    "knowledge": "2024-05",
    "tool_call": true,
    "structured_output": true,
    "open_weights": false,
    "cost": {
     "input": 1.1,
     "output": 4.4,
     "cache_read": 0.275
    },
    "limit": {
     "context": 200000,
     "output": 100000
    },
    "modalities": {
     "input": [
      "text",
      "image"
     ],
     "output": [
      "text"
     ]
    },
    "id": "o4-mini"
   }
  }
 },
 "moonshotai": {
  "name": "Moonshot AI",
  "env": [
   "MOONSHOT_API_KEY"
  ],
  "npm": "@ai-sdk/openai-compatible",
  "doc": "https://platform.moonshot.ai/docs/api/chat",
  "api": "https://api.moonshot.ai/v1",
  "id": "moonshotai",
  "models": {
   "kimi-k2.6": {
    "name": "Kimi K2.6",
    "family": "kimi-k2",
    "release_date": "2026-04-21",
    "last_updated": "2026-04-21",
    "attachment": true,
    "reasoning": true,
    "structured_output": true,
    "temperature": true,
    "tool_call": true,
    "knowledge": "2025-01",
    "open_weights": true,
    "interleaved": {
     "field": "reasoning_content"
    },
    "reasoning_options": [
     {
      "type": "toggle"
     }
    ],
    "cost": {
     "input": 0.95,
     "output": 4.0,
     "cache_read": 0.16
    },
    "limit": {
     "context": 262144,
     "output": 262144
    },
    "modalities": {
     "input": [
      "text",
      "image",
      "video"
     ],
     "output": [
      "text"
     ]
    },
    "id": "kimi-k2.6"
   }
  }
 }
};
